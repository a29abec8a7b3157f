# Sourced by scripts/serve and scripts/test. WeasyPrint (reports as PDF documents) needs Pango,
# HarfBuzz's subsetter and a font from the system; as root with apt-get this installs whichever
# are missing, otherwise it says which to install (the PDF downloads fail without them).
pdf_missing=()
pdf_libs="$( (command -v ldconfig >/dev/null && ldconfig -p || /sbin/ldconfig -p) 2>/dev/null || true)"
grep -q "libpango-1.0.so.0" <<<"$pdf_libs" || pdf_missing+=(libpango-1.0-0)
grep -q "libpangoft2-1.0.so.0" <<<"$pdf_libs" || pdf_missing+=(libpangoft2-1.0-0)
grep -q "libharfbuzz-subset.so.0" <<<"$pdf_libs" || pdf_missing+=(libharfbuzz-subset0)
# Read whole first: `fc-list | grep -q` under pipefail fails at random (grep stops reading early).
pdf_fonts="$( (command -v fc-list >/dev/null && fc-list) 2>/dev/null || true)"
grep -qi "liberation sans" <<<"$pdf_fonts" || pdf_missing+=(fonts-liberation fontconfig)
if [ ${#pdf_missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing ${pdf_missing[*]} for the PDF reports (apt-get)..."
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pdf_missing[@]}"; } >/dev/null \
            || { echo "could not install ${pdf_missing[*]}" >&2; exit 1; }
    else
        echo "The PDF reports need these system packages: ${pdf_missing[*]} (apt-get install them as root)" >&2
    fi
fi
