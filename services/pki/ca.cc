#include "services/pki/ca.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/pki/identity.h"
#include "services/pki/internal/files.h"
#include "services/pki/internal/index.h"
#include "services/pki/internal/ossl.h"
#include "services/pki/internal/x509_build.h"
#include "storage/util/status_macros.h"

namespace ilp::pki {
namespace {

using internal::IndexEntry;

constexpr int64_t kDay = 86400;
constexpr int64_t kCaBackdate = kDay;    // CA notBefore = now - 24h
constexpr int64_t kLeafBackdate = 3600;  // leaf notBefore = now - 1h

struct Ca {
  internal::X509Ptr cert;
  internal::PkeyPtr key;
  std::string district;
  int64_t not_after = 0;
};

// Where the CA keeps each file (the table in ca.h).
std::string CaCertPath(const std::string& dir) { return dir + "/ca.crt"; }
std::string CaKeyPath(const std::string& dir) { return dir + "/ca.key"; }
std::string IndexPath(const std::string& dir) { return dir + "/index.txt"; }
std::string CrlPath(const std::string& dir, X509* ca) { return dir + "/crl/" + internal::CrlFileName(ca); }

// The CA machine's clock: it is the one clock this tool trusts.
int64_t NowUnix() { return absl::ToUnixSeconds(absl::Now()); }

// True if `path` exists (any type).
bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// OK for 1-36500 days; else INVALID_ARGUMENT naming --days.
absl::Status ValidateDays(int days) {
  if (days >= 1 && days <= 36500) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--days ", days, ": want 1-36500"));
}

// Prefixes a parse error with the file it came from.
absl::Status InFile(const absl::Status& s, const std::string& path) {
  return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
}

// Reads the CA cert, key and district from `dir`. FAILED_PRECONDITION if
// there is no CA there; INVALID_ARGUMENT naming the file if one is damaged.
absl::StatusOr<Ca> LoadCa(const std::string& dir) {
  Ca ca;
  absl::StatusOr<std::string> key_pem = internal::ReadWholeFile(CaKeyPath(dir));
  if (absl::IsNotFound(key_pem.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat(CaKeyPath(dir), " does not exist: run `ilpctl pki init --dir ", dir, "` first"));
  }
  if (!key_pem.ok()) return key_pem.status();
  ILP_ASSIGN_OR_RETURN(std::string cert_pem, internal::ReadWholeFile(CaCertPath(dir)));
  absl::StatusOr<internal::PkeyPtr> key = internal::ParseKeyPem(*key_pem);
  if (!key.ok()) return InFile(key.status(), CaKeyPath(dir));
  absl::StatusOr<std::vector<internal::X509Ptr>> certs = internal::ParseCertsPem(cert_pem);
  if (!certs.ok()) return InFile(certs.status(), CaCertPath(dir));
  ca.cert = std::move(certs->front());
  ca.key = std::move(*key);
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(CaKeyPath(dir), " does not match ", CaCertPath(dir)));
  }
  for (const std::string& uri : internal::UriSans(ca.cert.get())) {
    if (absl::StartsWith(uri, "spiffe://")) ca.district = uri.substr(9);
  }
  if (!ValidateDistrict(ca.district).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(CaCertPath(dir), " has no spiffe://<district> URI SAN"));
  }
  ca.not_after = internal::AsnTimeToUnix(X509_get0_notAfter(ca.cert.get()));
  return ca;
}

// FAILED_PRECONDITION naming DIR/ca.key unless `dir` holds a CA; checked
// before taking the lock so a wrong --dir creates nothing.
absl::Status RequireCa(const std::string& dir) {
  if (Exists(CaKeyPath(dir))) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(CaKeyPath(dir), " does not exist: run `ilpctl pki init --dir ", dir, "` first"));
}

// The entries of DIR/index.txt; NOT_FOUND or INVALID_ARGUMENT naming it.
absl::StatusOr<std::vector<IndexEntry>> LoadIndex(const std::string& dir) {
  ILP_ASSIGN_OR_RETURN(std::string text, internal::ReadWholeFile(IndexPath(dir)));
  return internal::ParseIndex(text, IndexPath(dir));
}

// Writes a fresh CA into `dir`; REQUIRES: the DirLock held, no ca.key.
absl::Status CreateCa(const std::string& dir, const std::string& district, int days) {
  ILP_ASSIGN_OR_RETURN(internal::PkeyPtr key, internal::NewP256Key());
  const int64_t now = NowUnix();
  internal::CertSpec spec;
  spec.profile = internal::CertSpec::kCa;
  spec.common_name = "ILP district CA " + district;
  spec.not_before = now - kCaBackdate;
  spec.not_after = now + days * kDay;
  spec.uris = {DistrictSpiffeId(district)};
  ILP_ASSIGN_OR_RETURN(internal::X509Ptr cert, internal::BuildCert(spec, key.get(), nullptr, nullptr));
  ILP_ASSIGN_OR_RETURN(std::string crl, internal::SignCrl(cert.get(), key.get(), {}, 1, now,
                                                          now + kCrlNextUpdateDays * kDay));
  ILP_RETURN_IF_ERROR(internal::WriteFileAtomic(CaKeyPath(dir), internal::KeyPem(key.get()), 0600, true));
  absl::Status s = internal::WriteFileAtomic(CaCertPath(dir), internal::CertPem(cert.get()), 0644, false);
  if (s.ok()) s = internal::EnsureDir(dir + "/crl", 0755);
  if (s.ok()) s = internal::WriteFileAtomic(CrlPath(dir, cert.get()), crl, 0644, false);
  if (s.ok()) s = internal::WriteFileAtomic(IndexPath(dir), internal::FormatIndex({}), 0644, false);
  if (!s.ok()) unlink(CaKeyPath(dir).c_str());  // no half-made CA blocks a retry
  return s;
}

// Issues one leaf under `dir` as <base>.crt/.key; REQUIRES: valid arguments.
absl::StatusOr<IssuedCert> IssueLeaf(const std::string& dir, SpiffeId id, const std::vector<HostSan>& hosts,
                                     int days, const std::string& base) {
  ILP_RETURN_IF_ERROR(RequireCa(dir));
  ILP_ASSIGN_OR_RETURN(internal::DirLock lock, internal::DirLock::Acquire(dir));
  ILP_ASSIGN_OR_RETURN(Ca ca, LoadCa(dir));
  ILP_ASSIGN_OR_RETURN(std::vector<IndexEntry> index, LoadIndex(dir));
  id.district = ca.district;
  const int64_t now = NowUnix();
  internal::CertSpec spec;
  spec.profile = id.kind == SpiffeId::kNode ? internal::CertSpec::kNode : internal::CertSpec::kOperator;
  spec.common_name = id.id;
  spec.not_before = now - kLeafBackdate;
  spec.not_after = std::min(now + days * kDay, ca.not_after);
  spec.uris = {SpiffeIdString(id)};
  spec.hosts = hosts;
  ILP_ASSIGN_OR_RETURN(internal::PkeyPtr key, internal::NewP256Key());
  ILP_ASSIGN_OR_RETURN(internal::X509Ptr cert, internal::BuildCert(spec, key.get(), ca.cert.get(), ca.key.get()));
  IssuedCert out{dir + "/" + base + ".crt", dir + "/" + base + ".key",
                 internal::SerialHex(X509_get0_serialNumber(cert.get())), SpiffeIdString(id), spec.not_after};
  // Index first: a certificate that exists is always revocable.
  index.push_back({out.serial_hex, id.kind == SpiffeId::kNode ? "node" : "operator", id.id, spec.not_after});
  ILP_RETURN_IF_ERROR(internal::WriteFileAtomic(IndexPath(dir), internal::FormatIndex(index), 0644, false));
  ILP_RETURN_IF_ERROR(internal::WriteFileAtomic(out.key_path, internal::KeyPem(key.get()), 0600, false));
  ILP_RETURN_IF_ERROR(internal::WriteFileAtomic(out.cert_path, internal::CertPem(cert.get()), 0644, false));
  return out;
}

}  // namespace

absl::Status InitCa(const std::string& dir, const std::string& district, int days) {
  ILP_RETURN_IF_ERROR(ValidateDistrict(district));
  ILP_RETURN_IF_ERROR(ValidateDays(days));
  auto exists = [&dir] {
    return absl::FailedPreconditionError(
        absl::StrCat(CaKeyPath(dir), " already exists: refusing to replace a district CA"));
  };
  if (Exists(CaKeyPath(dir))) return exists();  // before touching anything
  ILP_RETURN_IF_ERROR(internal::EnsureDir(dir, 0700));
  if (chmod(dir.c_str(), 0700) != 0) return absl::InternalError(absl::StrCat("cannot chmod 0700 ", dir));
  ILP_ASSIGN_OR_RETURN(internal::DirLock lock, internal::DirLock::Acquire(dir));
  if (Exists(CaKeyPath(dir))) return exists();  // another init won the race
  return CreateCa(dir, district, days);
}

absl::StatusOr<IssuedCert> IssueNode(const std::string& dir, const std::string& node_id,
                                     const std::vector<std::string>& hosts, int days) {
  ILP_RETURN_IF_ERROR(ValidateName(node_id, "--node-id"));
  ILP_RETURN_IF_ERROR(ValidateDays(days));
  std::vector<HostSan> sans;
  for (const std::string& h : hosts) {
    ILP_ASSIGN_OR_RETURN(HostSan san, ParseHost(h));
    const bool dup = std::any_of(sans.begin(), sans.end(),
                                 [&san](const HostSan& s) { return s.is_ip == san.is_ip && s.value == san.value; });
    if (!dup) sans.push_back(std::move(san));
  }
  return IssueLeaf(dir, SpiffeId{SpiffeId::kNode, "", node_id}, sans, days, node_id);
}

absl::StatusOr<IssuedCert> IssueOperator(const std::string& dir, const std::string& name, int days) {
  ILP_RETURN_IF_ERROR(ValidateName(name, "--name"));
  ILP_RETURN_IF_ERROR(ValidateDays(days));
  return IssueLeaf(dir, SpiffeId{SpiffeId::kOperator, "", name}, {}, days, "operator-" + name);
}

absl::StatusOr<std::string> CaDistrict(const std::string& dir) {
  ILP_RETURN_IF_ERROR(RequireCa(dir));
  ILP_ASSIGN_OR_RETURN(Ca ca, LoadCa(dir));
  return ca.district;
}

absl::StatusOr<RevokedCert> Revoke(const std::string& dir, const std::string& serial_hex) {
  const std::string serial = internal::CanonicalSerialHex(serial_hex);
  if (serial.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--serial \"", serial_hex, "\": want a hex serial number"));
  }
  ILP_RETURN_IF_ERROR(RequireCa(dir));
  ILP_ASSIGN_OR_RETURN(internal::DirLock lock, internal::DirLock::Acquire(dir));
  ILP_ASSIGN_OR_RETURN(Ca ca, LoadCa(dir));
  ILP_ASSIGN_OR_RETURN(std::vector<IndexEntry> index, LoadIndex(dir));
  auto it = std::find_if(index.begin(), index.end(), [&serial](const IndexEntry& e) { return e.serial_hex == serial; });
  if (it == index.end()) {
    return absl::NotFoundError(absl::StrCat("serial ", serial, " was not issued by the CA in ", dir, " (see ",
                                            IndexPath(dir), ")"));
  }
  RevokedCert out{serial, it->kind, it->id, CrlPath(dir, ca.cert.get())};
  int64_t number = 0;
  // The next CRL must number above the current one: only a missing CRL
  // starts from 0; an unreadable or unparsable one stops the revocation.
  if (absl::StatusOr<std::string> old = internal::ReadWholeFile(out.crl_path); old.ok()) {
    ILP_ASSIGN_OR_RETURN(internal::CrlPtr crl, internal::ParseCrlPem(*old));
    number = internal::CrlNumber(crl.get());
  } else if (!absl::IsNotFound(old.status())) {
    return old.status();
  }
  out.crl_number = number;
  if (it->revoked) {
    out.already_revoked = true;
    return out;
  }
  const int64_t now = NowUnix();
  it->revoked = true;
  it->revoked_at = now;
  out.crl_number = number + 1;
  ILP_ASSIGN_OR_RETURN(std::string crl, internal::SignCrl(ca.cert.get(), ca.key.get(), index, out.crl_number, now,
                                                          now + kCrlNextUpdateDays * kDay));
  // CRL first: if the index write then fails, a retry re-signs; the reverse
  // order could leave a revocation that no CRL carries.
  ILP_RETURN_IF_ERROR(internal::EnsureDir(dir + "/crl", 0755));
  ILP_RETURN_IF_ERROR(internal::WriteFileAtomic(out.crl_path, crl, 0644, false));
  ILP_RETURN_IF_ERROR(internal::WriteFileAtomic(IndexPath(dir), internal::FormatIndex(index), 0644, false));
  return out;
}

}  // namespace ilp::pki
