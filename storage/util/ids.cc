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

namespace {

// The text of UUIDv7 `b` after setting its time to `unix_ms` and its version
// and variant bits; b[6..15] hold the rest.
std::string FormatV7(int64_t unix_ms, uint8_t b[16]) {
  uint64_t ms = static_cast<uint64_t>(unix_ms) & 0xFFFFFFFFFFFFull;
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = (b[6] & 0x0F) | 0x70;  // version 7
  b[8] = (b[8] & 0x3F) | 0x80;  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                b[14], b[15]);
  return out;
}

}  // namespace

std::string NewUuidV7(int64_t unix_ms, Random* random) {
  uint8_t b[16];
  uint64_t r1 = random->Next64(), r2 = random->Next64();
  for (int i = 6; i < 16; ++i) {
    uint64_t& r = i < 11 ? r1 : r2;
    b[i] = static_cast<uint8_t>(r);
    r >>= 8;
  }
  return FormatV7(unix_ms, b);
}

UuidV7Generator::UuidV7Generator(Random* random) {
  absl::MutexLock l(&mu_);
  tag_ = random->Next64() & ((uint64_t{1} << 42) - 1);
  counter_ = static_cast<uint32_t>(random->Next64());
}

std::string UuidV7Generator::Next(int64_t unix_ms) {
  uint8_t b[16];
  int64_t ms;
  uint32_t n;
  uint64_t tag;
  {
    absl::MutexLock l(&mu_);
    if (unix_ms > last_ms_) last_ms_ = unix_ms;
    ms = last_ms_;
    n = counter_++;
    if (counter_ == 0) ++last_ms_;  // after a wrap, the next id still sorts after this one
    tag = tag_;
  }
  // 48 bits of b[6..11]: 4 version bits, 12 tag bits, 2 variant bits, 30 tag bits.
  const uint64_t hi = (tag >> 30) & 0xFFF, lo = tag & ((uint64_t{1} << 30) - 1);
  b[6] = static_cast<uint8_t>(hi >> 8);
  b[7] = static_cast<uint8_t>(hi);
  b[8] = static_cast<uint8_t>(lo >> 24);
  b[9] = static_cast<uint8_t>(lo >> 16);
  b[10] = static_cast<uint8_t>(lo >> 8);
  b[11] = static_cast<uint8_t>(lo);
  for (int i = 0; i < 4; ++i) b[12 + i] = static_cast<uint8_t>(n >> (24 - 8 * i));
  return FormatV7(ms, b);
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
