#include "services/pki/internal/trust_store.h"

#include <dirent.h>
#include <openssl/err.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/pki/identity.h"
#include "services/pki/internal/files.h"
#include "services/pki/internal/x509_build.h"
#include "storage/util/status_macros.h"

namespace ilp::pki::internal {
namespace {

// `s` with its message prefixed by `path`.
absl::Status InFile(const absl::Status& s, const std::string& path) {
  return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
}

// True for OpenSSL hashed-directory CRL names: 8 hex digits, ".r", digits.
bool IsHashedCrlName(const std::string& name) {
  if (name.size() < 11 || name.compare(8, 2, ".r") != 0) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (i == 8 || i == 9) continue;
    const char c = name[i];
    if (i < 8 ? !std::isxdigit(static_cast<unsigned char>(c)) : !std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// The district of a CA certificate (its spiffe://<district> URI SAN); "" if none.
std::string DistrictOf(X509* ca) {
  for (const std::string& uri : UriSans(ca)) {
    if (absl::StartsWith(uri, "spiffe://") && ValidateDistrict(uri.substr(9)).ok()) return uri.substr(9);
  }
  return "";
}

// Adds every CA certificate in `ca_file` to `t` (store, cas, district).
absl::Status LoadCas(const std::string& ca_file, TrustStore* t) {
  ILP_ASSIGN_OR_RETURN(std::string pem, ReadWholeFile(ca_file));
  absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertsPem(pem);
  if (!certs.ok()) return InFile(certs.status(), ca_file);
  for (X509Ptr& c : *certs) {
    const std::string d = DistrictOf(c.get());
    if (X509_check_ca(c.get()) < 1 || d.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          ca_file, ": certificate \"", CommonName(X509_get_subject_name(c.get())),
          "\" is not a district CA (want CA:TRUE and a spiffe://<district> URI SAN)"));
    }
    if (!t->district.empty() && d != t->district) {
      return absl::InvalidArgumentError(
          absl::StrCat(ca_file, ": holds CAs of two districts, ", t->district, " and ", d));
    }
    t->district = d;
    if (X509_STORE_add_cert(t->store.get(), c.get()) != 1) {
      return OpensslStatus(absl::StatusCode::kInvalidArgument, absl::StrCat(ca_file, ": cannot add CA"));
    }
    t->cas.push_back(std::move(c));
  }
  return absl::OkStatus();
}

// The newest CRL (by crlNumber) of each CA in `t`, from the hashed files in
// `dir`, added to the store.
absl::Status LoadCrls(const std::string& dir, TrustStore* t) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return absl::NotFoundError(absl::StrCat(dir, ": cannot open CRL directory"));
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    if (IsHashedCrlName(e->d_name)) names.emplace_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  std::map<size_t, std::pair<int64_t, CrlPtr>> newest;  // index into t->cas -> (number, CRL)
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    ILP_ASSIGN_OR_RETURN(std::string pem, ReadWholeFile(path));
    absl::StatusOr<CrlPtr> crl = ParseCrlPem(pem);
    if (!crl.ok()) return InFile(crl.status(), path);
    for (size_t i = 0; i < t->cas.size(); ++i) {
      X509* ca = t->cas[i].get();
      if (X509_NAME_cmp(X509_CRL_get_issuer(crl->get()), X509_get_subject_name(ca)) != 0) continue;
      if (X509_CRL_verify(crl->get(), X509_get0_pubkey(ca)) != 1) {
        ERR_clear_error();
        continue;  // same name, other key: e.g. the CRL of a replaced CA
      }
      const int64_t number = CrlNumber(crl->get());
      auto it = newest.find(i);
      if (it == newest.end() || it->second.first < number) newest[i] = {number, std::move(*crl)};
      break;
    }
  }
  for (auto& [i, entry] : newest) {
    if (X509_STORE_add_crl(t->store.get(), entry.second.get()) != 1) {
      return OpensslStatus(absl::StatusCode::kInvalidArgument, absl::StrCat(dir, ": cannot add CRL"));
    }
    t->has_crl = true;
  }
  return absl::OkStatus();
}

// "ino:size:mtime_ns" of `path`, or "-" if it cannot be stat-ed.
std::string StatKey(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "-";
  return absl::StrCat(st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const TrustStore>> LoadTrustStore(const std::string& ca_file,
                                                                 const std::string& crl_dir) {
  auto t = std::make_shared<TrustStore>();
  t->store.reset(X509_STORE_new());
  if (!t->store) return OpensslStatus(absl::StatusCode::kInternal, "X509_STORE_new");
  ILP_RETURN_IF_ERROR(LoadCas(ca_file, t.get()));
  if (!crl_dir.empty()) ILP_RETURN_IF_ERROR(LoadCrls(crl_dir, t.get()));
  return std::shared_ptr<const TrustStore>(std::move(t));
}

std::string FilesFingerprint(const std::string& ca_file, const std::string& crl_dir) {
  std::string out = StatKey(ca_file);
  if (crl_dir.empty()) return out;
  absl::StrAppend(&out, "|", StatKey(crl_dir));
  std::vector<std::string> names;
  if (DIR* d = opendir(crl_dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (IsHashedCrlName(e->d_name)) names.emplace_back(e->d_name);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) absl::StrAppend(&out, "|", n, "=", StatKey(crl_dir + "/" + n));
  return out;
}

}  // namespace ilp::pki::internal
