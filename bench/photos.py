#!/usr/bin/env python
"""How fast a listing photo's variants are made, against libvips and plain Pillow.

    .venv/bin/python bench/photos.py [--repeat 15] [--photo FILE.jpg]

Makes a photo-like 4000×3000 JPEG in memory (or reads --photo), then times in one process,
interleaved, the three variants (large, medium, thumbnail; each as JPEG and WebP) made by:
the product's render_variants; libvips through pyvips (thumbnail with shrink-on-load, the
faster of two ways of calling it); and plain Pillow (open, then a LANCZOS resize of the full
image for each size). All three write the same sizes and formats with the same settings,
taken from properties.images. Prints medians, the ratios and PASS/FAIL against the targets;
exits non-zero on a FAIL. See bench/README.md.
"""

import argparse
import io
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_VS_VIPS = 1.2  # product / libvips at most
TARGET_VS_PLAIN = 4.0  # plain Pillow / product at least
# A round is measured again when other processes used more than this share of one CPU during it.
OTHERS_LIMIT = 0.1
PHOTO_SIZE = (4000, 3000)
PHOTO_QUALITY = 90


def configure():
    """Just enough Django for the product's image code (no database is used)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "realestate.settings")
    os.environ.setdefault("SECRET_KEY", "bench-photos-only-" + "k" * 40)
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="crm-bench-photos-"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def make_photo(size=PHOTO_SIZE, seed=1):
    """A JPEG that costs what a camera photo costs to decode and encode.

    Smooth colour gradients, a hundred-odd hard-edged shapes and lines, a slight blur, and
    sensor-like grain: about 3 MB at quality 90, where a flat colour would be a few KB.
    """
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    width, height = size
    linear, radial = Image.linear_gradient("L"), Image.radial_gradient("L")
    channels = (linear, radial, linear.rotate(90))
    image = Image.merge("RGB", [c.resize(size, Image.Resampling.BILINEAR) for c in channels])
    draw = ImageDraw.Draw(image)
    for _ in range(120):
        x, y = rng.randrange(width), rng.randrange(height)
        box = (x, y, x + rng.randint(40, 900), y + rng.randint(40, 700))
        fill = tuple(rng.randrange(256) for _ in range(3))
        kind = rng.random()
        if kind < 0.4:
            draw.ellipse(box, fill=fill)
        elif kind < 0.8:
            draw.rectangle(box, fill=fill)
        else:
            draw.line(box, fill=fill, width=rng.randint(2, 30))
    image = image.filter(ImageFilter.GaussianBlur(2))
    grain = Image.merge("RGB", [Image.effect_noise(size, 24) for _ in range(3)])
    image = Image.blend(image, grain, 0.3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=PHOTO_QUALITY)
    return buffer.getvalue()


# --- The three ways of making the variants -----------------------------------------------------


def variant_sizes(size):
    """(name, size) from the largest variant to the smallest, sized as the product sizes them."""
    from properties.images import VARIANT_SIZES, fit_size

    sizes = []
    for name, box in sorted(VARIANT_SIZES.items(), key=lambda item: -item[1][0]):
        size = fit_size(size, box)
        sizes.append((name, size))
    return sizes


def pillow_encode(image, fmt, options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def plain_pillow(data):
    """Open once, then a LANCZOS resize of the full image for each size; saved as ours are."""
    from PIL import Image

    from properties.images import VARIANT_FORMATS

    image = Image.open(io.BytesIO(data))
    rendered = {}
    for name, size in variant_sizes(image.size):
        variant = image.resize(size, Image.Resampling.LANCZOS)
        rendered[name] = {
            fmt_name: pillow_encode(variant, fmt, options)
            for fmt_name, (fmt, options) in VARIANT_FORMATS.items()
        }
    return rendered


def vips_options(fmt, options):
    """The product's Pillow save options as libvips save options (same meaning)."""
    names = {
        "JPEG": {"quality": "Q", "optimize": "optimize_coding", "progressive": "interlace"},
        "WEBP": {"quality": "Q", "method": "effort"},
    }[fmt]
    unknown = set(options) - set(names)
    if unknown:
        sys.exit(f"No libvips equivalent known for {fmt} {sorted(unknown)}: the bench needs one.")
    # Pillow writes no metadata unless asked to; libvips copies it unless told not to.
    return {"keep": "none", **{names[key]: value for key, value in options.items()}}


def vips_save(image):
    from properties.images import VARIANT_FORMATS

    savers = {"JPEG": image.jpegsave_buffer, "WEBP": image.webpsave_buffer}
    return {
        fmt_name: savers[fmt](**vips_options(fmt, options))
        for fmt_name, (fmt, options) in VARIANT_FORMATS.items()
    }


def photo_size(data):
    """Width and height from the header (cheap: nothing is decoded)."""
    from PIL import Image

    return Image.open(io.BytesIO(data)).size


def vips_each(data):
    """libvips, one thumbnail_buffer per size (each uses shrink-on-load from the JPEG)."""
    import pyvips

    rendered = {}
    for name, (width, height) in variant_sizes(photo_size(data)):
        # "force": exactly the product's size (it fits the box already; libvips might round
        # the other side differently).
        image = pyvips.Image.thumbnail_buffer(data, width, height=height, size="force")
        # Rendered once into memory, then saved twice (the loader reads the JPEG sequentially).
        rendered[name] = vips_save(image.copy_memory())
    return rendered


def vips_cascade(data):
    """libvips, one thumbnail_buffer for the largest size, then each size from the one before."""
    import pyvips

    rendered = {}
    image = None
    for name, (width, height) in variant_sizes(photo_size(data)):
        if image is None:
            image = pyvips.Image.thumbnail_buffer(data, width, height=height, size="force")
        else:
            image = pyvips.Image.thumbnail_image(image, width, height=height, size="force")
        image = image.copy_memory()
        rendered[name] = vips_save(image)
    return rendered


def product(data):
    from properties.images import render_variants

    return render_variants(data)


# --- Measuring ---------------------------------------------------------------------------------


def check_outputs(runners, data):
    """Every way makes the same sizes in the same formats; returns one rendering of each."""
    from PIL import Image

    def shape(blob):
        image = Image.open(io.BytesIO(blob))
        return image.format, image.size

    outputs = {name: run(data) for name, run in runners.items()}
    expected = None
    for name, rendered in outputs.items():
        shapes = {
            (variant, fmt_name): shape(blob)
            for variant, formats in rendered.items()
            for fmt_name, blob in formats.items()
        }
        if expected is None:
            expected = shapes
        elif shapes != expected:
            sys.exit(f"{name} does not make the same variants:\n  {shapes}\n  {expected}")
    return outputs


def mean_difference(blob, reference_blob):
    """Mean absolute difference per channel (0-255) between two encoded images."""
    from PIL import Image, ImageChops, ImageStat

    image = Image.open(io.BytesIO(blob)).convert("RGB")
    reference = Image.open(io.BytesIO(reference_blob)).convert("RGB")
    return statistics.fmean(ImageStat.Stat(ImageChops.difference(image, reference)).mean)


def machine_busy_seconds():
    """CPU time the whole machine has spent busy since boot (all CPUs), or None off Linux."""
    try:
        with open("/proc/stat") as stat:
            user, nice, system, idle, iowait, irq, softirq, steal = map(
                int, stat.readline().split()[1:9]
            )
    except (OSError, ValueError):
        return None
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(runners, data, repeat, max_seconds):
    """Wall and CPU time of each way, in rounds that run every way once in a rotating order.

    A round during which other processes used more than OTHERS_LIMIT of a CPU is measured
    again: the product uses a second thread, which a busy machine does not give it.
    Returns ``{name: {"wall": median ms, "cpu": median ms}}``, the numbers of quiet and busy
    rounds, and whether the busy rounds had to be included.
    """
    names = list(runners)
    clean, busy = [], []
    started = time.monotonic()
    while len(clean) < repeat and time.monotonic() - started < max_seconds:
        shift = (len(clean) + len(busy)) % len(names)
        machine, own, round_started = machine_busy_seconds(), own_cpu_seconds(), time.perf_counter()
        timings = {}
        for name in names[shift:] + names[:shift]:
            wall, cpu = time.perf_counter(), time.process_time()
            runners[name](data)
            timings[name] = (
                (time.perf_counter() - wall) * 1000,
                (time.process_time() - cpu) * 1000,
            )
        others = None
        if machine is not None:
            others = (machine_busy_seconds() - machine) - (own_cpu_seconds() - own)
            others /= time.perf_counter() - round_started
        if others is None or others <= OTHERS_LIMIT:
            clean.append(timings)
        else:
            busy.append(timings)
            time.sleep(1)  # let a burst of other work pass
    rounds = clean if len(clean) >= min(5, repeat) else clean + busy
    medians = {
        name: {
            "wall": statistics.median(timings[name][0] for timings in rounds),
            "cpu": statistics.median(timings[name][1] for timings in rounds),
        }
        for name in names
    }
    return medians, len(clean), len(busy), rounds is not clean


def report(outputs, medians, clean, busy, busy_included):
    """Print the table and the verdicts; True when both targets are met."""
    from properties.images import VARIANT_FORMATS

    vips_name = min(("libvips each", "libvips cascade"), key=lambda name: medians[name]["wall"])
    if busy_included:
        print(
            f"WARNING: medians of {clean + busy} rounds on {os.cpu_count()} CPUs, {busy} of them "
            "while other processes were busy. The product's helper thread had no free CPU in "
            "those: its times are pessimistic."
        )
    else:
        print(
            f"Medians of {clean} rounds on {os.cpu_count()} CPUs with no other work running", end=""
        )
        print(f" ({busy} rounds measured again: other processes were busy)." if busy else ".")
    print("Settings:", ", ".join(f"{fmt} {options}" for fmt, options in VARIANT_FORMATS.values()))
    print("diff: mean absolute difference (0-255) of the JPEG variants from plain Pillow's.")
    print()
    bytes_title = "bytes: large / medium / thumbnail, jpeg+webp"
    header = f"{'way':<16} {'wall ms':>8} {'CPU ms':>8}  {bytes_title:<44} {'diff':>5}"
    print(header)
    print("-" * len(header))
    reference = outputs["plain Pillow"]
    for name, rendered in outputs.items():
        sizes = " / ".join(
            "+".join(f"{len(blob) // 1024}K" for blob in formats.values())
            for formats in rendered.values()
        )
        difference = statistics.fmean(
            mean_difference(rendered[variant]["jpeg"], reference[variant]["jpeg"])
            for variant in rendered
        )
        mark = "  (baseline)" if name == vips_name else ""
        print(
            f"{name:<16} {medians[name]['wall']:>8.1f} {medians[name]['cpu']:>8.1f}  "
            f"{sizes:<44} {difference:>5.2f}{mark}"
        )
    print()
    ours = medians["product"]
    vs_vips = ours["wall"] / medians[vips_name]["wall"]
    vs_plain = medians["plain Pillow"]["wall"] / ours["wall"]
    checks = [
        (
            f"product / libvips = {vs_vips:.2f} (target <= {TARGET_VS_VIPS})",
            vs_vips <= TARGET_VS_VIPS,
        ),
        (
            f"plain Pillow / product = {vs_plain:.2f} (target >= {TARGET_VS_PLAIN})",
            vs_plain >= TARGET_VS_PLAIN,
        ),
    ]
    for text, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    print(
        f"      (in CPU time: product / libvips = {ours['cpu'] / medians[vips_name]['cpu']:.2f}, "
        f"plain Pillow / product = {medians['plain Pillow']['cpu'] / ours['cpu']:.2f})"
    )
    passed = all(passed for _text, passed in checks)
    if passed:
        print("Overall: PASS")
    elif busy_included:
        print("Overall: FAIL, inconclusive: the machine was busy. Run again when it is quiet.")
    else:
        print("Overall: FAIL")
    return passed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="Timed rounds (each way once).")
    parser.add_argument(
        "--max-seconds", type=float, default=300, help="Give up waiting for a quiet machine."
    )
    parser.add_argument("--photo", type=Path, help="A JPEG to use instead of the generated one.")
    args = parser.parse_args()
    configure()
    try:
        import pyvips
    except ImportError:
        sys.exit("pyvips is not installed: .venv/bin/pip install pyvips pyvips-binary")
    # Every real photo is a new one: no reuse of libvips' operation cache between runs.
    pyvips.cache_set_max(0)

    data = args.photo.read_bytes() if args.photo else make_photo()
    from PIL import Image

    photo = Image.open(io.BytesIO(data))
    print(
        f"photo: {photo.format} {photo.size[0]}×{photo.size[1]}, {len(data) / 1e6:.1f} MB; "
        f"Pillow {Image.__version__}, libvips {pyvips.version(0)}.{pyvips.version(1)}."
        f"{pyvips.version(2)} (pyvips {pyvips.__version__})"
    )
    runners = {
        "product": product,
        "libvips each": vips_each,
        "libvips cascade": vips_cascade,
        "plain Pillow": plain_pillow,
    }
    outputs = check_outputs(runners, data)  # also the warm-up
    medians, clean, busy, busy_included = measure(runners, data, args.repeat, args.max_seconds)
    passed = report(outputs, medians, clean, busy, busy_included)
    sys.exit(0 if passed else 2 if busy_included else 1)


if __name__ == "__main__":
    main()
