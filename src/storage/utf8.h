// UTF-8 encoding of one code point, for the text decoders above storage (catalog properties
// escapes, VOTable UCS-2 cells).
#pragma once
#include <cstdint>
#include <string>

namespace astrolake::storage {

// Appends the UTF-8 bytes of code point cp (up to 0x10FFFF) to out.
void append_utf8(std::string& out, uint32_t cp);

}  // namespace astrolake::storage
