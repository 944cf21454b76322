// An edit request in the worker: the page's RGBA image and mask fitted to the model, then VarPipeline.edit.

import { fitImage, fitMask } from '../../src/core/generate/edit-input';
import type { EditResult, GenerateOptions, VarPipeline } from '../../src/core/generate/var-pipeline';
import type { EditParams } from '../../src/shared/engine-api';

/** Runs one edit (the sampling settings were validated by the caller). */
export function runEdit(pipeline: VarPipeline, params: EditParams, options: GenerateOptions): Promise<EditResult> {
  const size = pipeline.manifest.imageSize;
  const { image, mask } = params;
  const pixels = (p: EditParams['image']) => ({ data: p.data, width: p.width, height: p.height, channels: 4 });
  return pipeline.edit(
    {
      cfg: params.cfg,
      topK: params.topK,
      topP: params.topP,
      moreSmooth: params.moreSmooth,
      seed: params.seed,
      label: params.classId,
      image: fitImage(pixels(image), size),
      mask: fitMask(pixels(mask), image.width, image.height, size),
    },
    options,
  );
}
