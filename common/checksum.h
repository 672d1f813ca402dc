#pragma once
// CRC-32 (IEEE, as zlib) for manifests and journal records: detects torn and corrupt files.
#include <cstdint>
#include <string>
#include <string_view>

namespace amnl {

uint32_t crc32(std::string_view bytes, uint32_t seed = 0);
// Eight lower-case hex digits.
std::string crc32_hex(std::string_view bytes);

}  // namespace amnl
