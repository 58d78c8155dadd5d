#include "storage/merge/stamp.h"

#include "absl/strings/str_cat.h"

namespace ilp {

std::string StampToString(const v1::Stamp& s) {
  return absl::StrCat(s.wall_ms(), ".", s.logical(), "@", s.node());
}

}  // namespace ilp
