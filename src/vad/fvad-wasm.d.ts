// Types for @echogarden/fvad-wasm: libfvad (the WebRTC VAD) compiled by Emscripten. Only what wavegate uses.
declare module '@echogarden/fvad-wasm' {
  export interface FvadModule {
    readonly HEAP16: Int16Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    /** A new detector (mode 0, 8000 Hz), or 0 when out of memory. */
    _fvad_new(): number;
    _fvad_free(handle: number): void;
    _fvad_reset(handle: number): void;
    /** 0 … 3, more aggressive about calling audio non-speech; −1 when invalid. */
    _fvad_set_mode(handle: number, mode: number): number;
    /** 8000, 16000, 32000 or 48000; −1 when invalid. */
    _fvad_set_sample_rate(handle: number, rate: number): number;
    /** 1 speech, 0 non-speech, −1 invalid frame length (10, 20 or 30 ms only). */
    _fvad_process(handle: number, frame: number, length: number): number;
  }
  const createFvadModule: (moduleArg?: Record<string, unknown>) => Promise<FvadModule>;
  export default createFvadModule;
}
