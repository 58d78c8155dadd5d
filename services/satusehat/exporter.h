// The SATUSEHAT exporter inside ilp-node (docs/satusehat.md). It follows the
// node's change log into a durable export queue (export_queue.h), then sends
// each queued encounter, observation, immunization and referral to
// SATUSEHAT for the Organization whose sites it belongs to, exactly once:
//
//   1. Before a POST the entry is stored IN_FLIGHT (fsynced).
//   2. An entry found IN_FLIGHT (a crash, a timeout, a 5xx) is first searched
//      for by its identifier ({kind}/{org-ihs} system, the ILP record id); if
//      SATUSEHAT has it, it is SENT with that id and never POSTed again.
//   3. A "duplicate" answer is success: the id is found by identifier.
//   4. 429, 5xx and network errors retry with exponential backoff (at least
//      Retry-After); other 4xx are REJECTED with the server's OperationOutcome.
//   5. A record that cannot be made valid is HELD with the reason and checked
//      again after held_recheck_s (or at once after RetryHeld); nothing is
//      sent half-built.
//   6. An encounter goes with its unsent observations and immunizations as
//      one transaction Bundle (urn:uuid references), sent whole or held back
//      whole; its entries change state together. An IN_FLIGHT bundle is
//      settled by searching its Encounter (the transaction is atomic), then
//      each member. Referrals and late members go alone (docs/satusehat.md).
//
// Patient IHS numbers found by NIK lookup are written back onto the patient
// through RecordsCore (so they replicate down to the villages). The server id
// of every record sent is put on the record as an external id (system
// "{base_url}/fhir-r4/v1/{Type}") in the same batch that stores its entry
// SENT, so it replicates too; entries stored SENT without it (by an older
// version) get it at the first pass (BackfillServerIds).
//
//   Exporter ex(cfg, store, records, &clock, &http);
//   ex.Start();           // background passes every interval_s
//   ex.RunOnce();         // or one pass, for tests
//
// Logs name record ids, kinds and HTTP statuses only: never a NIK, a name or a secret.
#ifndef ILP_SERVICES_SATUSEHAT_EXPORTER_H_
#define ILP_SERVICES_SATUSEHAT_EXPORTER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ilp/v1/config.pb.h"
#include "ilp/v1/satusehat.pb.h"
#include "nlohmann/json.hpp"
#include "services/records/records_core.h"
#include "services/satusehat/client.h"
#include "services/satusehat/export_queue.h"
#include "storage/clock/clock.h"
#include "storage/store/store.h"

namespace ilp::satusehat {

class Exporter {
 public:
  // REQUIRES: cfg.satusehat passed ValidateNodeConfig. Every pointer must
  // outlive the exporter.
  Exporter(const v1::NodeConfig& cfg, Store* store, RecordsCore* records, Clock* clock,
           HttpClient* http);
  ~Exporter();

  // One pass: queue the new changes, then send every due entry. Returns the
  // first error that stopped part of the pass (network, token, store); the
  // entries it did not reach stay queued.
  ABSL_MUST_USE_RESULT absl::Status RunOnce() ABSL_LOCKS_EXCLUDED(run_mu_);

  // Makes every held-back entry due at the next pass (after a config fix or
  // a patient registered in SATUSEHAT); returns how many.
  ABSL_MUST_USE_RESULT absl::StatusOr<int> RetryHeld() ABSL_LOCKS_EXCLUDED(run_mu_);

  // The Organizations a node below this one also exports, each with that
  // node (from the subtree's status reports). This node yields them: their
  // entries stay queued, unsent, while the other node exports them
  // (docs/satusehat.md, "One exporter per Organization"). Set before Start().
  using ExportedBelow = std::function<absl::StatusOr<std::map<std::string, std::string>>()>;
  void SetExportedBelow(ExportedBelow fn) { exported_below_ = std::move(fn); }

  // Runs passes every interval_s on a thread until Stop().
  void Start();
  void Stop();

  // Counts per Organization, and unless `limit` is negative (counts only, no
  // scan) each Organization's oldest pending time and top reasons, and up to
  // `limit` held-back and rejected entries (0 = 20).
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::SatusehatStatusResponse> Status(int limit) const;

 private:
  struct Org {
    const v1::SatusehatOrganization* cfg;
    std::unique_ptr<Client> client;
    std::map<std::string, std::string> practitioners;  // performer -> IHS
  };
  struct Site {
    Org* org;
    const v1::SatusehatSite* cfg;
  };
  // What preparing an entry came to.
  struct Prepared {
    enum Kind { kReady, kHeld, kWait, kSkip } kind = kHeld;
    std::string type;       // FHIR resource type when ready
    nlohmann::json resource;
    std::string reason;     // when held
  };

  // Sets oldest_pending_ms and top_reasons on each of out->orgs() (a scan of the queue).
  ABSL_MUST_USE_RESULT absl::Status AddOldestAndReasons(v1::SatusehatStatusResponse* out) const;
  // Queues the exportable records of changes after the cursor.
  ABSL_MUST_USE_RESULT absl::Status Fill() ABSL_EXCLUSIVE_LOCKS_REQUIRED(run_mu_);
  // The site an exportable record belongs to; nullptr if none of ours.
  ABSL_MUST_USE_RESULT absl::StatusOr<const Site*> SiteOf(const v1::Record& r) const;
  // Prepares and sends one entry; an error stops the pass for its Organization.
  ABSL_MUST_USE_RESULT absl::Status Process(v1::ExportEntry e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(run_mu_);
  // The resource for `e`, or why it cannot be sent yet. With `encounter_urn`
  // (an observation or immunization going in its encounter's transaction
  // Bundle) the resource references the encounter by that urn:uuid instead
  // of waiting for the encounter's server id.
  ABSL_MUST_USE_RESULT absl::StatusOr<Prepared> Prepare(const v1::ExportEntry& e, Org& org,
                                                        const std::string& encounter_urn = "");
  // The queue entries of the observations and immunizations of encounter
  // entry `enc` not sent yet (pending, in flight or held), under its
  // Organization: observations, then immunizations, each in id order.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<v1::ExportEntry>> BundleMembers(const v1::ExportEntry& enc);
  // Sends encounter entry `e` (prepared as `p`) with its members as one
  // transaction Bundle, or holds them all back; stores every outcome.
  ABSL_MUST_USE_RESULT absl::Status SendBundle(v1::ExportEntry e, const Prepared& p, Org& org);
  // Settles an IN_FLIGHT encounter by identifier; if SATUSEHAT has it, the
  // whole (atomic) transaction landed, and its in-flight members are settled
  // by identifier too. True if the encounter was there.
  ABSL_MUST_USE_RESULT absl::StatusOr<bool> SettleBundle(const v1::ExportEntry& e, Org& org);
  // Stores `all` HELD (one batch): `reasons` by record id, else `fallback`.
  ABSL_MUST_USE_RESULT absl::Status HoldAll(std::vector<v1::ExportEntry> all,
                                            const std::map<std::string, std::string>& reasons,
                                            const std::string& fallback);
  // The patient's IHS number (looked up and written back if needed), or a held reason in `held`.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::string> PatientIhs(const std::string& patient_id, Org& org,
                                                             std::string* held);
  // The practitioner credited for `encounter`, or "" with a held reason.
  std::string PractitionerIhs(const v1::Encounter& encounter, const Site& site, std::string* held) const;
  // Searches for an IN_FLIGHT entry by identifier; true (and stored SENT) if SATUSEHAT has it.
  ABSL_MUST_USE_RESULT absl::StatusOr<bool> Settle(const v1::ExportEntry& e, const std::string& type, Org& org);
  // POSTs (after a search when the last attempt's outcome is unknown) and stores the outcome.
  ABSL_MUST_USE_RESULT absl::Status Send(v1::ExportEntry e, const Prepared& p, Org& org);
  // The queue's on_sent: adds to `req` the delta putting SENT entry `e`'s
  // server id on its record. A record not here or an id the record rules
  // refuse is logged and left out (the entry is SENT all the same).
  ABSL_MUST_USE_RESULT absl::Status AddServerId(const v1::ExportEntry& e, ApplyRequest* req);
  // Once per store (meta satusehat/server_ids_backfilled): puts on their
  // records the server ids of SENT entries that lack them, a page per batch.
  ABSL_MUST_USE_RESULT absl::Status BackfillServerIds() ABSL_EXCLUSIVE_LOCKS_REQUIRED(run_mu_);
  // The external id system of an entry's server id: ResourceEndpoint(base_url, FHIR type).
  std::string ServerIdSystem(const std::string& kind) const;
  // Stores `e` in `state`, stamped now.
  ABSL_MUST_USE_RESULT absl::Status Move(v1::ExportEntry e, v1::ExportState state,
                                         const std::string& reason);
  // Next attempt time after `attempts` failures, at least `retry_after_ms` away.
  int64_t Backoff(int attempts, int64_t retry_after_ms);
  void Loop();

  const v1::NodeConfig cfg_;
  Store* const store_;
  RecordsCore* const records_;
  Clock* const clock_;
  ExportQueue queue_;
  std::map<std::string, std::unique_ptr<Org>> orgs_;  // by org_ihs
  std::map<std::string, Site> sites_;                 // by node id
  ExportedBelow exported_below_;                      // set before Start(), then only read

  absl::Mutex run_mu_;  // one pass at a time; taken before the queue's and store's locks
  mutable absl::Mutex state_mu_;
  std::string last_error_ ABSL_GUARDED_BY(state_mu_);
  bool stop_ ABSL_GUARDED_BY(state_mu_) = false;
  std::thread thread_;
};

}  // namespace ilp::satusehat

#endif  // ILP_SERVICES_SATUSEHAT_EXPORTER_H_
