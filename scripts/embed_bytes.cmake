# cmake -DIN=FILE -DOUT=HEADER -P embed_bytes.cmake: write HEADER with FILE's
# bytes as  static const unsigned char ccx_<stem>[]  and  ccx_<stem>_len
# (used to embed host/jac/jax_tensor_runtime.py into ccx).
get_filename_component(stem "${IN}" NAME_WE)
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR n "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],)" "\\1\n" bytes "${bytes}")
get_filename_component(dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
file(WRITE "${OUT}.tmp" "/* generated from ${IN} by scripts/embed_bytes.cmake: do not edit */\n#include <stddef.h>\nstatic const unsigned char ccx_${stem}[] = {\n${bytes}0};\nstatic const size_t ccx_${stem}_len = ${n};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
