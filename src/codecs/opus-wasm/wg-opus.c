/* Exports of wavegate's WebAssembly build of the libopus decoder (see build-opus-wasm.sh). */
#include <stdlib.h>
#include "opus.h"

/* Bytes of one mono decoder state. */
int wg_decoder_size(void) { return opus_decoder_get_size(1); }

/* Initialises a mono decoder in `st` (wg_decoder_size() bytes); returns an OPUS_* code. */
int wg_decoder_init(OpusDecoder *st, int sample_rate) { return opus_decoder_init(st, sample_rate, 1); }

/* Clears the decoder's history, as after a stream restart. */
int wg_decoder_reset(OpusDecoder *st) { return opus_decoder_ctl(st, OPUS_RESET_STATE); }
