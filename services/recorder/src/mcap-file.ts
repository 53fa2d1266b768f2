import fs from 'node:fs';
import zlib from 'node:zlib';
import { crc32 as jsCrc32 } from '@foxglove/crc';
import { McapChunkBuilder, McapRecordBuilder, Opcode, type McapTypes } from '@mcap/core';

type Crc32 = (data: Uint8Array, previous?: number) => number;
/** Node's native CRC-32 (zlib.crc32, Node ≥ 20.15) is ~6× faster than the JS one @mcap/core uses. */
const nativeCrc32 = (zlib as unknown as { crc32?: Crc32 }).crc32;
const crc32: Crc32 = nativeCrc32 ?? ((data, previous) => {
  if (previous !== undefined && previous !== 0) throw new Error('incremental CRC needs zlib.crc32 (Node >= 20.15)');
  return jsCrc32(data);
});

export type ChunkCompressor = (data: Uint8Array) => { compression: string; compressedData: Uint8Array };

export interface McapFileOptions {
  readonly chunkBytes: number;
  readonly compress: ChunkCompressor | undefined;
  readonly header: McapTypes.Header;
}

/**
 * A chunked, indexed MCAP writer on a file descriptor, record for record what @mcap/core's
 * McapWriter writes (schemas and channels in the chunk of their first message, message indexes
 * after each chunk, summary with schemas, channels, statistics, metadata and chunk indexes, summary
 * offsets, CRCs), with two differences a recorder needs: `flushChunk()` closes the open chunk on
 * demand (bounded loss in time, not only in bytes), and the CRCs use Node's native CRC-32.
 * Writes are synchronous: a finished chunk is in the file when the call returns.
 */
export class McapFile {
  readonly #fd: number;
  readonly #options: McapFileOptions;
  readonly #records = new McapRecordBuilder();
  readonly #chunk = new McapChunkBuilder({ useMessageIndex: true });
  readonly #schemas = new Map<number, McapTypes.Schema>();
  readonly #channels = new Map<number, McapTypes.Channel>();
  readonly #writtenSchemas = new Set<number>();
  readonly #writtenChannels = new Set<number>();
  readonly #chunkIndexes: McapTypes.ChunkIndex[] = [];
  readonly #metadataIndexes: McapTypes.MetadataIndex[] = [];
  readonly #channelCounts = new Map<number, bigint>();
  #position = 0n;
  #dataCrc = 0;
  #messages = 0n;
  #metadataCount = 0;
  #start = 0n;
  #end = 0n;
  #nextSchemaId = 1;
  #nextChannelId = 0;

  constructor(fd: number, options: McapFileOptions) {
    this.#fd = fd;
    this.#options = options;
    this.#records.writeMagic();
    this.#records.writeHeader(options.header);
    this.#emit(true);
  }

  get position(): bigint {
    return this.#position;
  }

  /** Messages in the open chunk (not yet in the file). */
  get pendingMessages(): number {
    return this.#chunk.numMessages;
  }

  #emit(data: boolean): void {
    const buf = this.#records.buffer;
    if (data) this.#dataCrc = crc32(buf, this.#dataCrc);
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.#fd, buf, off, buf.length - off);
    this.#position += BigInt(buf.length);
    this.#records.reset();
  }

  registerSchema(info: Omit<McapTypes.Schema, 'id'>): number {
    const id = this.#nextSchemaId++;
    this.#schemas.set(id, { ...info, id });
    return id;
  }

  registerChannel(info: Omit<McapTypes.Channel, 'id'>): number {
    const id = this.#nextChannelId++;
    this.#channels.set(id, { ...info, id });
    return id;
  }

  addMetadata(metadata: McapTypes.Metadata): void {
    const offset = this.#position;
    const length = this.#records.writeMetadata(metadata);
    this.#metadataIndexes.push({ offset, length, name: metadata.name });
    this.#metadataCount++;
    this.#emit(true);
  }

  addMessage(message: McapTypes.Message): void {
    if (!this.#writtenChannels.has(message.channelId)) {
      const channel = this.#channels.get(message.channelId);
      if (!channel) throw new Error(`addMessage: no channel ${message.channelId}`);
      if (channel.schemaId !== 0 && !this.#writtenSchemas.has(channel.schemaId)) {
        const schema = this.#schemas.get(channel.schemaId);
        if (!schema) throw new Error(`addMessage: no schema ${channel.schemaId}`);
        this.#chunk.addSchema(schema);
        this.#writtenSchemas.add(channel.schemaId);
      }
      this.#chunk.addChannel(channel);
      this.#writtenChannels.add(message.channelId);
    }
    if (this.#messages === 0n || message.logTime < this.#start) this.#start = message.logTime;
    if (this.#messages === 0n || message.logTime > this.#end) this.#end = message.logTime;
    this.#messages++;
    this.#channelCounts.set(message.channelId, (this.#channelCounts.get(message.channelId) ?? 0n) + 1n);
    this.#chunk.addMessage(message);
    if (this.#chunk.byteLength > this.#options.chunkBytes) this.flushChunk();
  }

  /** Writes the open chunk and its message indexes to the file (no-op when empty). */
  flushChunk(): void {
    if (this.#chunk.numMessages === 0) return;
    const data = this.#chunk.buffer;
    const uncompressedCrc = crc32(data);
    const { compression, compressedData } = this.#options.compress ? this.#options.compress(data) : { compression: '', compressedData: data };
    const chunkStartOffset = this.#position;
    const chunkLength = this.#records.writeChunk({
      messageStartTime: this.#chunk.messageStartTime,
      messageEndTime: this.#chunk.messageEndTime,
      uncompressedSize: BigInt(data.length),
      uncompressedCrc,
      compression,
      records: compressedData,
    });
    const messageIndexStart = chunkStartOffset + chunkLength;
    let messageIndexLength = 0n;
    const messageIndexOffsets = new Map<number, bigint>();
    for (const index of this.#chunk.indices) {
      messageIndexOffsets.set(index.channelId, messageIndexStart + messageIndexLength);
      messageIndexLength += this.#records.writeMessageIndex(index);
    }
    this.#chunkIndexes.push({
      messageStartTime: this.#chunk.messageStartTime,
      messageEndTime: this.#chunk.messageEndTime,
      chunkStartOffset,
      chunkLength,
      messageIndexOffsets,
      messageIndexLength,
      compression,
      compressedSize: BigInt(compressedData.byteLength),
      uncompressedSize: BigInt(data.length),
    });
    this.#chunk.reset();
    this.#emit(true);
  }

  /** Last chunk, data end, summary (schemas, channels, statistics, metadata and chunk indexes), footer. */
  end(): void {
    this.flushChunk();
    this.#records.writeDataEnd({ dataSectionCrc: this.#dataCrc >>> 0 });
    this.#emit(false);
    const summaryStart = this.#position;
    const offsets: McapTypes.SummaryOffset[] = [];
    const group = (groupOpcode: Opcode, write: () => bigint): void => {
      const groupStart = summaryStart + BigInt(this.#records.length);
      const groupLength = write();
      if (groupLength > 0n) offsets.push({ groupOpcode, groupStart, groupLength });
    };
    group(Opcode.SCHEMA, () => [...this.#schemas.values()].reduce((n, s) => n + this.#records.writeSchema(s), 0n));
    group(Opcode.CHANNEL, () => [...this.#channels.values()].reduce((n, c) => n + this.#records.writeChannel(c), 0n));
    group(Opcode.STATISTICS, () =>
      this.#records.writeStatistics({
        messageCount: this.#messages,
        schemaCount: this.#schemas.size,
        channelCount: this.#channels.size,
        attachmentCount: 0,
        metadataCount: this.#metadataCount,
        chunkCount: this.#chunkIndexes.length,
        messageStartTime: this.#start,
        messageEndTime: this.#end,
        channelMessageCounts: this.#channelCounts,
      }),
    );
    group(Opcode.METADATA_INDEX, () => this.#metadataIndexes.reduce((n, m) => n + this.#records.writeMetadataIndex(m), 0n));
    group(Opcode.CHUNK_INDEX, () => this.#chunkIndexes.reduce((n, c) => n + this.#records.writeChunkIndex(c), 0n));
    const summaryOffsetStart = summaryStart + BigInt(this.#records.length);
    for (const o of offsets) this.#records.writeSummaryOffset(o);
    // The summary CRC covers the summary, the summary offsets and the footer up to the CRC field.
    const footerPrefix = new DataView(new ArrayBuffer(25));
    footerPrefix.setUint8(0, Opcode.FOOTER);
    footerPrefix.setBigUint64(1, 20n, true);
    footerPrefix.setBigUint64(9, summaryStart, true);
    footerPrefix.setBigUint64(17, summaryOffsetStart, true);
    const summaryCrc = crc32(new Uint8Array(footerPrefix.buffer), crc32(this.#records.buffer));
    this.#records.writeFooter({ summaryStart, summaryOffsetStart, summaryCrc: summaryCrc >>> 0 });
    this.#records.writeMagic();
    this.#emit(false);
  }
}
