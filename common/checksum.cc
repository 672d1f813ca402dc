#include "common/checksum.h"

#include <array>
#include <cstdio>

namespace amnl {
namespace {

std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

}  // namespace

uint32_t crc32(std::string_view bytes, uint32_t seed) {
  static const std::array<uint32_t, 256> table = make_table();
  uint32_t c = seed ^ 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = table[(c ^ b) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string crc32_hex(std::string_view bytes) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", crc32(bytes));
  return buf;
}

}  // namespace amnl
