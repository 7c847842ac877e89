"""Writes the seeds of corpus/csv and corpus/fits (run with the project's .venv python).

CSV: quoting, CRLF, a BOM, empty fields, ints then doubles, long fields. FITS: binary tables
with every column kind the reader handles (D, E, K, J, I, B, L, A, vectors, variable-length P
and Q arrays, TNULL, TSCAL/TZERO), kept small (a FITS HDU is at least 2880 bytes).
"""
import os

import numpy as np
from astropy.io import fits

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
csv_dir = os.path.join(root, "csv")
fits_dir = os.path.join(root, "fits")
os.makedirs(csv_dir, exist_ok=True)
os.makedirs(fits_dir, exist_ok=True)

csv_seeds = {
    "plain.csv": "id,ra,dec,mag,name\n1,10.5,-20.25,12.5,a\n2,11,-21,13,b\n3,359.9,89.9,,c\n",
    "quoted.csv": 'id,name,ra,dec\n1,"a, b",1,2\n2,"say ""hi""",3,4\n3,"multi\nline",5,6\n',
    "crlf_bom.csv": "\ufeffra,dec,flag\r\n1.5,2.5,true\r\n3,4,false\r\n",
    "tabs.tsv": "ra\tdec\tid\n1\t2\t3\n4\t5\t6\n",
    "widen.csv": "id,x\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7.5\n7,1e300\n8,-0\n9,nan\n",
    "big_ints.csv": "id,v\n9223372036854775807,1\n-9223372036854775808,2\n9223372036854775808,3\n",
    "dup_header.csv": "ra,dec,ra\n1,2,3\n",
    "ragged.csv": "ra,dec,id\n1,2,3\n4,5\n6,7,8,9\n",
}
for name, text in csv_seeds.items():
    with open(os.path.join(csv_dir, name), "w", encoding="utf-8", newline="") as f:
        f.write(text)

n = 5
cols = [
    fits.Column(name="ra", format="D", array=np.linspace(0, 359, n)),
    fits.Column(name="dec", format="E", array=np.linspace(-89, 89, n)),
    fits.Column(name="id", format="K", null=-1, array=np.array([1, -1, 3, 4, 5])),
    fits.Column(name="small", format="J", null=-99, array=np.array([1, 2, -99, 4, 5])),
    fits.Column(name="i16", format="I", array=np.arange(n)),
    fits.Column(name="u8", format="B", array=np.arange(n)),
    fits.Column(name="flag", format="L", array=np.array([True, False, True, False, True])),
    fits.Column(name="name", format="8A", array=np.array(["a", "bb", "", "dddd", "eeeeeeee"])),
    fits.Column(name="vec", format="3E", array=np.arange(3 * n, dtype=np.float32).reshape(n, 3)),
]
fits.BinTableHDU.from_columns(cols, name="CAT").writeto(os.path.join(fits_dir, "table.fits"), overwrite=True)

var = np.array([np.arange(k, dtype=np.float64) for k in range(n)], dtype=object)
vcols = [
    fits.Column(name="ra", format="D", array=np.arange(n, dtype=np.float64)),
    fits.Column(name="dec", format="D", array=np.arange(n, dtype=np.float64)),
    fits.Column(name="flux", format="PD()", array=var),
    fits.Column(name="lc", format="QJ()", array=np.array([np.arange(k, dtype=np.int32) for k in range(n)], dtype=object)),
]
fits.BinTableHDU.from_columns(vcols).writeto(os.path.join(fits_dir, "varlen.fits"), overwrite=True)

scaled = fits.Column(name="u16", format="I", bzero=32768, array=np.array([0, 1, 65535, 2, 3], dtype=np.uint16))
fits.BinTableHDU.from_columns([fits.Column(name="ra", format="D", array=np.zeros(n)), scaled]).writeto(
    os.path.join(fits_dir, "scaled.fits"), overwrite=True)
