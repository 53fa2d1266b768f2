import { PoisonRecordError, type SensorfuseErrorOptions } from '@sensorfuse/errors';

/** A reading's unit is not one the converter knows. */
export class UnknownUnitError extends PoisonRecordError {
  constructor(
    readonly unit: string,
    options: SensorfuseErrorOptions = {},
  ) {
    super(`unknown unit ${JSON.stringify(unit)}: expected one of the symbols in SensorReading.unit (degC, degF, Pa, psi, km/h, …)`, options);
  }
}

/** A known unit of the wrong physical dimension for the sensor (a temperature sensor reporting in Pa). */
export class UnitMismatchError extends PoisonRecordError {
  constructor(
    readonly unit: string,
    readonly expectedDimension: string,
    readonly foundDimension: string,
    options: SensorfuseErrorOptions = {},
  ) {
    super(`unit ${JSON.stringify(unit)} measures ${foundDimension}, expected a unit of ${expectedDimension}`, options);
  }
}

/** Input a pure function cannot use (lengths differ, times not increasing, a non-finite parameter). */
export class InvalidSeriesError extends PoisonRecordError {}
