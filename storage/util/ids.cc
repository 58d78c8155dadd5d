#include "storage/util/ids.h"

#include <sodium.h>

#include <cstdio>

namespace ilp {
namespace {

class SystemRandom : public Random {
 public:
  SystemRandom() {
    if (sodium_init() < 0) std::abort();
  }
  uint64_t Next64() override {
    uint64_t v;
    randombytes_buf(&v, sizeof(v));
    return v;
  }
};

}  // namespace

std::unique_ptr<Random> NewSystemRandom() { return std::make_unique<SystemRandom>(); }

std::string NewUuidV7(int64_t unix_ms, Random* random) {
  uint8_t b[16];
  uint64_t ms = static_cast<uint64_t>(unix_ms) & 0xFFFFFFFFFFFFull;
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  uint64_t r1 = random->Next64(), r2 = random->Next64();
  for (int i = 6; i < 16; ++i) {
    uint64_t& r = i < 11 ? r1 : r2;
    b[i] = static_cast<uint8_t>(r);
    r >>= 8;
  }
  b[6] = (b[6] & 0x0F) | 0x70;  // version 7
  b[8] = (b[8] & 0x3F) | 0x80;  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                b[14], b[15]);
  return out;
}

bool IsValidUuid(absl::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') )) {
      return false;
    }
  }
  return true;
}

}  // namespace ilp
