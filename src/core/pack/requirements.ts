// Whether a device can run a pack on WebGPU: the manifest's `requires` against the adapter's capabilities.

import type { PackManifest, PackRequirement } from './manifest';

/** What the engine knows about the WebGPU adapter (probed once; src/shared/capabilities.ts). */
export interface PackCapabilities {
  /** The adapter has the 'shader-f16' feature (float16 arithmetic in shaders). */
  readonly shaderF16: boolean;
}

const KNOWN: Readonly<Record<PackRequirement, (caps: PackCapabilities) => boolean>> = {
  'shader-f16': (caps) => caps.shaderF16,
};

/**
 * The pack's requirements that this adapter does not meet, in manifest order. A requirement this version does not
 * know (written by a newer converter) counts as unmet: running such a pack could fail silently (JSEP returns zeros
 * for f16 shaders on an adapter without shader-f16), so it is refused instead.
 */
export function unmetPackRequirements(manifest: Pick<PackManifest, 'requires'>, caps: PackCapabilities): string[] {
  return (manifest.requires ?? []).filter((r) => {
    const check = Object.hasOwn(KNOWN, r) ? KNOWN[r as PackRequirement] : undefined;
    return check === undefined || !check(caps);
  });
}

/** True when the pack can run on WebGPU with these capabilities (the WASM backend runs every pack). */
export function packRequirementsMet(manifest: Pick<PackManifest, 'requires'>, caps: PackCapabilities): boolean {
  return unmetPackRequirements(manifest, caps).length === 0;
}
