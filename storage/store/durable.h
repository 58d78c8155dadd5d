// Internal to the store's .cc files: state shared between Store::Apply
// (store.cc) and Store::AwaitDurable (durable.cc).
#ifndef ILP_STORAGE_STORE_DURABLE_H_
#define ILP_STORAGE_STORE_DURABLE_H_

#include "absl/time/time.h"

namespace ilp::store_internal {

// Start of this thread's last Apply with defer_durable that logged a change,
// until its AwaitDurable records its latency, fsync included (InfinitePast:
// none).
extern thread_local absl::Time deferred_apply_start;

}  // namespace ilp::store_internal

#endif  // ILP_STORAGE_STORE_DURABLE_H_
