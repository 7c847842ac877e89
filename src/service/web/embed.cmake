# Writes a C++ source holding the web page's files (called at build time by the service's
# CMakeLists with -DOUT=file.cc -DFILES=a|b|c -DBASE=dir). The page is compiled into the binary
# so that `astrolake serve` needs nothing installed beside it.
string(REPLACE "|" ";" FILES "${FILES}")
set(body "")
set(table "")
set(i 0)
foreach(f IN LISTS FILES)
  file(READ "${f}" hex HEX)
  string(LENGTH "${hex}" n)
  math(EXPR size "${n} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  file(RELATIVE_PATH rel "${BASE}" "${f}")
  string(APPEND body "static const unsigned char file${i}[] = {${bytes}0};\n")
  string(APPEND table "    {\"/${rel}\", file${i}, ${size}},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp"
  "// Generated from src/service/web/static by embed.cmake; do not edit.\n"
  "#include \"service/web/assets.h\"\n\nnamespace astrolake::service {\n\nnamespace {\n${body}}  // namespace\n\n"
  "const std::vector<WebAsset>& web_assets() {\n  static const std::vector<WebAsset> assets = {\n${table}  };\n"
  "  return assets;\n}\n\n}  // namespace astrolake::service\n")
file(RENAME "${OUT}.tmp" "${OUT}")
