// The names of weight encodings and pack variants: what graph builders produce and the pack manifest records.
// Weight quantization (float16, int8, 4-bit blocks) — not VAR's vector quantizer, which is graphs/vq-quantizer.ts.

/**
 * How weights are stored. float32; float16 (+ Cast in the graph); q8 = int8 with one float32 scale per output
 * channel (DequantizeLinear); q4 = com.microsoft.MatMulNBits 4-bit blocks, per tensor "q4-b<block size>" (symmetric,
 * zero point 8) or "q4z-b<block size>" (a 4-bit zero point per block).
 */
export type WeightEncoding = 'float32' | 'float16' | 'q8' | 'q4' | `q4-b${number}` | `q4z-b${number}`;

/**
 * The pack's quantization variant (convert --quant): q4 = transformer 4-bit + decoder int8 (what the browser ships),
 * q8 = both int8, fp16 = float16 weights, none = float32.
 */
export type QuantVariant = 'q4' | 'q8' | 'fp16' | 'none';

/**
 * A capability the WebGPU adapter must have for the pack to run on WebGPU ('shader-f16': the graph has float16
 * tensors, and even a Cast from float16 is an f16 shader there). The WASM backend runs every pack.
 */
export type PackRequirement = 'shader-f16';
