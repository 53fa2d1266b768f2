import * as zstdModule from '@foxglove/wasm-zstd';

type Zstd = typeof zstdModule;

/** @foxglove/wasm-zstd (WebAssembly shipped in the package, no native build), loaded once. */
let loaded: Promise<Zstd> | undefined;

export function loadZstd(): Promise<Zstd> {
  loaded ??= (async () => {
    const mod = ((zstdModule as unknown as { default?: Zstd }).default ?? zstdModule);
    await mod.isLoaded;
    return mod;
  })();
  return loaded;
}
