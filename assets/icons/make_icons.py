# Regenerates the app icons (RGBA PNGs, as tauri::generate_context! needs): python3 make_icons.py
# (needs Pillow). Run from assets/icons/.
# icon.ico (the Windows resource and installer): from icon.png with Tauri's CLI,
# `ui/node_modules/.bin/tauri icon assets/icons/icon.png -o /tmp/icons` (its icon.ico).
from PIL import Image, ImageDraw
S = 1024
img = Image.new("RGBA", (S, S), (0, 0, 0, 0))
d = ImageDraw.Draw(img)
# UN-blue rounded square
d.rounded_rectangle([48, 48, S-48, S-48], radius=200, fill=(0, 94, 160, 255))
# a white page with a folded corner
px0, py0, px1, py1 = 300, 210, 724, 814
fold = 120
d.polygon([(px0, py0), (px1 - fold, py0), (px1, py0 + fold), (px1, py1), (px0, py1)], fill=(255, 255, 255, 255))
d.polygon([(px1 - fold, py0), (px1 - fold, py0 + fold), (px1, py0 + fold)], fill=(178, 214, 238, 255))
# text lines
for i, y in enumerate(range(420, 720, 70)):
    w = 300 if i % 3 != 2 else 200
    d.rounded_rectangle([370, y, 370 + w, y + 28], radius=14, fill=(0, 94, 160, 255))
# a small gold "target" dot
d.ellipse([600, 660, 720, 780], fill=(247, 182, 0, 255), outline=(255, 255, 255, 255), width=16)
# 16-256 also as NxN.png: the sizes the .deb installs in the hicolor theme.
for size, name in [(16, "16x16.png"), (24, "24x24.png"), (32, "32x32.png"), (48, "48x48.png"),
                   (64, "64x64.png"), (128, "128x128.png"), (256, "128x128@2x.png"),
                   (256, "256x256.png"), (512, "icon.png")]:
    im = img.resize((size, size), Image.LANCZOS)
    assert im.mode == "RGBA"
    im.save(name, optimize=True)
