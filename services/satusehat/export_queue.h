// The durable SATUSEHAT export queue: one v1::ExportEntry per record in the
// store's meta keys (storage/store/keys.h), an index of the entries still to
// send and of those held back or rejected, counts per Organization and state,
// and the change-log cursor the queue is filled to. Every change is one
// atomic store batch (entry, indexes, counts, cursor), fsynced. A batch that
// stores an entry SENT also carries what `on_sent` adds (the delta putting
// the server id on the record), so the two land together or not at all.
//
// REQUIRES: one writer (the exporter's thread); readers (status) may run
// concurrently and see a whole batch or none of it.
#ifndef ILP_SERVICES_SATUSEHAT_EXPORT_QUEUE_H_
#define ILP_SERVICES_SATUSEHAT_EXPORT_QUEUE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ilp/v1/satusehat.pb.h"
#include "storage/store/store.h"

namespace ilp::satusehat {

class ExportQueue {
 public:
  // Adds to `req` what storing `e` SENT writes with it; an error fails the batch.
  using OnSent = std::function<absl::Status(const v1::ExportEntry& e, ApplyRequest* req)>;

  // `store` must outlive the queue. `on_sent` (may be empty) runs for every
  // entry a batch stores SENT that was not SENT with that server id before.
  explicit ExportQueue(Store* store, OnSent on_sent = nullptr)
      : store_(store), on_sent_(std::move(on_sent)) {}

  // The change-log seq the queue holds every exportable record up to (0 at first).
  ABSL_MUST_USE_RESULT absl::StatusOr<uint64_t> Cursor() const;

  // The entry of `record_id`, or NOT_FOUND.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::ExportEntry> Get(const std::string& record_id) const;

  // Adds `entries` not queued already and moves the cursor to `cursor`, in one batch.
  ABSL_MUST_USE_RESULT absl::Status Enqueue(const std::vector<v1::ExportEntry>& entries,
                                            uint64_t cursor) ABSL_LOCKS_EXCLUDED(mu_);

  // Stores `e`, moving its index entries and counts from its previous state.
  ABSL_MUST_USE_RESULT absl::Status Put(const v1::ExportEntry& e) ABSL_LOCKS_EXCLUDED(mu_);
  // Stores every entry of `es` (distinct records) as Put does, in one batch:
  // the entries of one transaction Bundle change state together or not at all.
  ABSL_MUST_USE_RESULT absl::Status PutAll(const std::vector<v1::ExportEntry>& es) ABSL_LOCKS_EXCLUDED(mu_);

  // Record ids to send (pending or in flight), encounters first.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<std::string>> ToSend() const;
  // Record ids held back, encounters first.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<std::string>> Held() const;
  // Held-back and rejected entries, at most `limit`, most recently changed first.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<v1::ExportEntry>> Problems(size_t limit) const;

  // Entries by Organization and state.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::ExportCounts> Counts() const;

  // Up to `limit` entries whose record id is after `after` ("" = from the
  // first), in record id order, for scans in pages.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<v1::ExportEntry>> Page(const std::string& after,
                                                                        size_t limit) const;

 private:
  ABSL_MUST_USE_RESULT absl::Status LoadCounts() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds the index and count changes of `e` replacing `old` (nullptr if new),
  // and what on_sent_ adds when `e` becomes SENT, to `req`.
  ABSL_MUST_USE_RESULT absl::Status Stage(const v1::ExportEntry* old, const v1::ExportEntry& e,
                                          ApplyRequest* req) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<std::string>> Ids(const std::string& prefix) const;

  Store* const store_;
  const OnSent on_sent_;
  absl::Mutex mu_;  // taken before the store's lock
  bool counts_loaded_ ABSL_GUARDED_BY(mu_) = false;
  v1::ExportCounts counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ilp::satusehat

#endif  // ILP_SERVICES_SATUSEHAT_EXPORT_QUEUE_H_
