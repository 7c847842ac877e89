"""matplotlib pictures of partitions and sky maps (Mollweide, through healpy's projector)."""
import numpy as np


def _mollweide(values, title, log, cmap="viridis", label=""):
    import healpy as hp
    import matplotlib.pyplot as plt

    values = np.asarray(values, dtype=float)
    nside = hp.npix2nside(len(values))
    fig = plt.figure(figsize=(10, 5.5))
    shown = values.copy()
    seen = shown != hp.UNSEEN
    if log:
        shown[seen & (shown <= 0)] = np.nan
        shown[seen] = np.log10(shown[seen])
        label = label or "log10"
    proj = hp.projector.MollweideProj(xsize=800)
    img = proj.projmap(shown, lambda x, y, z: hp.vec2pix(nside, x, y, z, nest=True))
    img = np.where(img == hp.UNSEEN, np.nan, img)
    ax = fig.add_subplot(111)
    im = ax.imshow(img, origin="lower", cmap=cmap, extent=(2, -2, -1, 1))
    ax.set_axis_off()
    ax.set_title(title)
    fig.colorbar(im, ax=ax, orientation="horizontal", fraction=0.05, label=label)
    return fig


def plot_pixels(pixels, title):
    """Partitions coloured by HEALPix order."""
    orders = [o for o, _ in pixels]
    order = max(orders + [0])
    npix = 12 * 4 ** order
    values = np.full(npix, -1.6375e30)
    for o, p in pixels:
        shift = 2 * (order - o)
        values[p << shift:(p + 1) << shift] = o
    return _mollweide(values, title, log=False, cmap="tab10", label="order")


def plot_map(values, title, log):
    return _mollweide(values, title, log)
