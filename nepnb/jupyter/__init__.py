"""The jupyter-server extension of nepnb: thin HTTP handlers over nepnb's core."""
