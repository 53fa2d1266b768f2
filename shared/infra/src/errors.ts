import { SensorfuseError } from '@sensorfuse/errors';

/**
 * A local Kafka or Redis did not start or stop: the broker exited during start-up, did not serve in
 * time, or Maven could not fetch the jars. The message carries the script's own explanation and the
 * tail of its output; the context names the tool and the script's exit code.
 */
export class InfraStartError extends SensorfuseError {
  readonly retriable = false;
}

/** java, mvn or redis-server is not installed: retrying cannot help, installing can. */
export class InfraToolMissingError extends SensorfuseError {
  readonly retriable = false;
}

/** The chosen loopback port was taken between choosing and binding it: another port may work. */
export class InfraPortInUseError extends SensorfuseError {
  readonly retriable = true;
}
