import { Command, Option } from 'commander';
import { DATASET_KINDS, datasetRecords, publishImported, writeImported, type DatasetKind, type ImportedRecord } from '@sensorfuse/recorder';
import { KafkaBus } from '@sensorfuse/transport';
import { brokersOf } from '../config.js';
import { EXIT, UserError } from '../errors.js';
import { brokerText, settingsOf, shared, withExamples } from '../options.js';
import { progressCounter } from '../progress.js';

export const DATASETS = DATASET_KINDS;
export type Dataset = DatasetKind;

async function* counted(records: AsyncIterable<ImportedRecord>, onRecord: (n: number, topic: string) => void): AsyncGenerator<ImportedRecord> {
  let n = 0;
  for await (const r of records) {
    n++;
    onRecord(n, r.topic);
    yield r;
  }
}

export function importCommand(): Command {
  const command = new Command('import')
    .description('Turn a real dataset into pipeline records (calibration.rig, raw.lidar, raw.camera, raw.motion, truth.boxes): an MCAP recording or straight onto Kafka.')
    .addArgument(new Command().createArgument('<dataset>', `dataset kind: ${DATASETS.join(', ')}`).choices(DATASETS))
    .argument('<input>', 'kitti/nuscenes: the dataset folder; px4: the .ulg file; ouster: the .pcap file')
    .option('--out <file.mcap>', 'write an MCAP recording')
    .option('--kafka <brokers>', shared('kafka', 'publish to Kafka instead of writing a file'), brokerText)
    .option('--rig <id>', 'rig id of the imported records (default: the importer\'s)')
    .addOption(new Option('--metadata <file.json>', 'ouster: the sensor metadata JSON (default: the only *.json next to the pcap)'))
    .action(async (dataset: Dataset, input: string, options: { out?: string; rig?: string; metadata?: string }, cmd: Command) => {
      const s = settingsOf(cmd);
      const brokers = options.out === undefined ? brokersOf(s.kafka) : undefined;
      if (options.out === undefined && brokers === undefined) throw new UserError('import needs a destination', EXIT.usage, 'pass --out <file.mcap> or --kafka host:port');
      const bar = progressCounter(`import ${dataset}`, 'records');
      const records = counted(
        datasetRecords(dataset, { path: input, ...(options.rig === undefined ? {} : { rigId: options.rig }), ...(options.metadata === undefined ? {} : { metadata: options.metadata }) }),
        (n, topic) => {
          bar.update(n, topic);
        },
      );
      try {
        if (options.out !== undefined) {
          const stats = await writeImported(records, { path: options.out });
          bar.stop();
          process.stdout.write(`imported ${String(stats.messages)} records from ${input} → ${stats.files.join(', ')}\n`);
        } else if (brokers !== undefined) {
          const bus = new KafkaBus({ brokers, clientId: 'sensorfuse-import', connectionTimeoutMs: 5_000, retry: { retries: 2 }, logLevel: 'nothing' });
          try {
            const n = await publishImported(bus, records);
            bar.stop();
            process.stdout.write(`imported ${String(n)} records from ${input} → Kafka ${brokers.join(',')}\n`);
          } finally {
            await bus.close();
          }
        }
      } finally {
        bar.stop();
      }
    });
  return withExamples(command, [
    'sensorfuse import kitti ../shared/data/kitti --out kitti.mcap',
    'sensorfuse import nuscenes ../shared/data/nuscenes-sample --out nuscenes.mcap',
    'sensorfuse import px4 ../shared/data/px4/sample_log_small.ulg --kafka 127.0.0.1:9092',
    'sensorfuse import ouster ../shared/data/ouster/OS-1-64_1024x10_fw20.pcap --out ouster.mcap',
  ]);
}
