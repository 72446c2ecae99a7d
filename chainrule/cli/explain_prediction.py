"""``chainrule explain-prediction RUN IMAGE_OR_INDEX…``: which pixels a prediction rests on.

    chainrule explain-prediction runs/lenet-fashion-mnist-20250101-120000 12 --method ig
    chainrule explain-prediction RUN shoe.png --method gradcam --layer features.3
    chainrule explain-prediction RUN 0 1 2 3 --method occlusion --window 6 --stride 3

IMAGE_OR_INDEX is an index into the run's test set (e.g. 12) or an image file (PNG/JPEG/.npy,
prepared as ``chainrule predict`` prepares it). Prints each image's most probable classes and
writes the images with their attributions overlaid to a PNG (default
RUN/explanations/<first input>-<method>.png). Methods (chainrule.interpret):

  ig         integrated gradients from a black image (--steps Gauss–Legendre nodes)
  gradcam    Grad-CAM on --layer (default: the last convolution), upsampled to the image
  saliency   |∂ score / ∂ pixel|
  occlusion  the score's drop when a --window square is blacked out, moved by --stride

The attributions explain the predicted class, or --target CLASS (an index or a class name).
"""
from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    p = sub.add_parser("explain-prediction",
                       help="overlay attributions (IG, Grad-CAM, saliency, occlusion) on images "
                            "and print the top classes",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", metavar="RUN", help="a run folder written by `chainrule train`")
    p.add_argument("items", metavar="IMAGE_OR_INDEX", nargs="+",
                   help="a test-set index or an image file (PNG/JPEG/.npy)")
    p.add_argument("--method", choices=("ig", "gradcam", "saliency", "occlusion"), default="ig",
                   help="the attribution method (default ig)")
    p.add_argument("--target", default=None, metavar="CLASS",
                   help="explain this class (index or name) instead of the predicted one")
    p.add_argument("--out", default=None, metavar="PNG", help="where to write the overlay")
    p.add_argument("--checkpoint", default="last", metavar="last|best|FILE",
                   help="which checkpoint to use (default last)")
    p.add_argument("--top", type=int, default=3, metavar="K",
                   help="print the K most probable classes (default 3)")
    p.add_argument("--steps", type=int, default=50, help="integrated gradients' steps (50)")
    p.add_argument("--layer", default=None, help="Grad-CAM's layer, a name from "
                                                 "model.named_modules() (default: last conv)")
    p.add_argument("--window", type=int, default=4, help="occlusion's square side (4)")
    p.add_argument("--stride", type=int, default=2, help="occlusion's stride (2)")
    p.add_argument("--invert", action="store_true",
                   help="invert image files' pixel values (x → 1 − x) first")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..interpret.runs import explain_prediction
    from ..training.runs import RunError

    try:
        result = explain_prediction(
            args.run_dir, args.items, args.method, out=args.out,
            target=_target(args.run_dir, args.target), checkpoint=args.checkpoint,
            top=args.top, steps=args.steps, layer=args.layer, window=args.window,
            stride=args.stride, invert=args.invert, log=lambda *a, **k: None)
    except (ValueError, TypeError, FileNotFoundError, ImportError, OSError, RunError) as e:
        print(f"chainrule explain-prediction: {e}", file=sys.stderr)
        return 2
    for name, ranked in result["predictions"]:
        print(f"{name}: " + ", ".join(f"{c} ({100 * p:.1f}%)" for c, p in ranked))
    layer = f" (layer {result['layer']})" if result["layer"] else ""
    print(f"{args.method}{layer} attributions written to {result['path']}")
    return 0


def _target(run_dir, target):
    if target is None:
        return None
    if target.lstrip("-").isdigit():
        return int(target)
    from ..training.runs import read_config

    classes = list(read_config(run_dir).get("classes", []))
    if target not in classes:
        raise ValueError(f"--target {target!r} is neither a class index nor one of the run's "
                         f"classes: {', '.join(classes)}")
    return classes.index(target)
