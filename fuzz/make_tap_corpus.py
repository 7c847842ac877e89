"""Writes the seeds of tap_request_fuzz into fuzz/corpus/tap (see tap_request_fuzz.cc for the
input layout): form and multipart requests, with and without an uploaded VOTable."""
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "tap")
os.makedirs(out, exist_ok=True)
vot = ('<?xml version="1.0"?><VOTABLE version="1.4"><RESOURCE><TABLE><FIELD name="id" datatype="long"/>'
       '<FIELD name="ra" datatype="double"/><FIELD name="dec" datatype="double" unit="deg"/>'
       '<DATA><TABLEDATA><TR><TD>1</TD><TD>10.5</TD><TD>-3.25</TD></TR><TR><TD/><TD>NaN</TD><TD>2</TD></TR>'
       '</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>')
seeds = {
    "form_get": b"\x00\x07REQUEST=doQuery&LANG=ADQL&QUERY=SELECT%20*%20FROM%20t&MAXREC=10\n",
    "form_body": b"\x00\x03\nLANG=ADQL&QUERY=SELECT+TOP+5+ra%2C+dec+FROM+gaia&RESPONSEFORMAT=votable%2Ftd&MAXREC=5",
    "form_upload_url": b"\x00\x10\nLANG=ADQL&QUERY=SELECT+*+FROM+TAP_UPLOAD.t&UPLOAD=t%2Chttp%3A%2F%2Fexample.org%2Ft.xml",
    "form_bad_escape": b"\x00\x01\nLANG=ADQL&QUERY=%zz&FORMAT=csv",
    "multipart_upload": ("\x01\x20LANG\n\nADQL\n--\nQUERY\n\nSELECT u.id FROM TAP_UPLOAD.t AS u\n--\n"
                         "UPLOAD\n\nt,param:targets;s,param:targets\n--\ntargets\ntargets.xml\n" + vot).encode(),
    "multipart_plain": b"\x01\x05REQUEST\n\ndoQuery\n--\nLANG\n\nADQL-2.1\n--\nQUERY\n\nSELECT 1 FROM x\n--\nFORMAT\n\njson",
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
