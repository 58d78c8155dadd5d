// The store-free half of backups: hashing, writing a stream, checking a
// directory. ilpctl links only this.
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "services/backup/backup.h"
#include "storage/util/status_macros.h"

namespace ilp {
namespace {

namespace fs = std::filesystem;

// A path from the stream must stay inside the backup directory.
absl::Status CheckRelative(const std::string& path) {
  const fs::path p(path);
  bool ok = !path.empty() && p.is_relative();
  for (const fs::path& part : p) ok = ok && part != ".." && part != ".";
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("backup path \"", path, "\": must be a plain relative path"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("SHA-256 unavailable");
  }
  std::string buf(1 << 16, '\0');
  while (in) {
    in.read(buf.data(), buf.size());
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return absl::InternalError(absl::StrCat(path, ": read error"));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), len));
}

absl::Status BackupWriter::Start() {
  std::error_code ec;
  if (fs::exists(dir_, ec) && !fs::is_empty(dir_, ec)) {
    return absl::FailedPreconditionError(absl::StrCat("--out ", dir_, ": exists and is not empty"));
  }
  fs::create_directories(dir_, ec);
  if (ec) return absl::InternalError(absl::StrCat("--out ", dir_, ": ", ec.message()));
  return absl::OkStatus();
}

absl::Status BackupWriter::Add(const v1::BackupChunk& c) {
  if (c.has_manifest()) {
    manifest_ = c.manifest();
    have_manifest_ = true;
    return absl::OkStatus();
  }
  ILP_RETURN_IF_ERROR(CheckRelative(c.path()));
  uint64_t& at = written_[c.path()];
  if (c.offset() != at) {
    return absl::DataLossError(absl::StrCat("backup stream: ", c.path(), " jumps from byte ", at, " to ", c.offset()));
  }
  const fs::path file = fs::path(dir_) / c.path();
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  std::ofstream out(file, at == 0 ? std::ios::binary | std::ios::trunc : std::ios::binary | std::ios::app);
  out.write(c.data().data(), static_cast<std::streamsize>(c.data().size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", file.string()));
  at += c.data().size();
  return absl::OkStatus();
}

absl::StatusOr<v1::BackupManifest> BackupWriter::Finish() {
  if (!have_manifest_) {
    return absl::UnavailableError("backup stream ended before its manifest: the backup is incomplete");
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(manifest_, &text);
  // Checked like a restore would, before the manifest makes it a backup.
  const std::string tmp = dir_ + "/" + kBackupManifest + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  for (const v1::BackupFile& f : manifest_.files()) {
    ILP_RETURN_IF_ERROR(CheckRelative(f.path()));
    ILP_ASSIGN_OR_RETURN(std::string sha, FileSha256(dir_ + "/" + f.path()));
    if (sha != f.sha256_hex()) return absl::DataLossError(absl::StrCat("backup file ", f.path(), ": SHA-256 differs"));
  }
  std::error_code ec;
  fs::rename(tmp, dir_ + "/" + kBackupManifest, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot write the manifest: ", ec.message()));
  return manifest_;
}

absl::StatusOr<v1::BackupManifest> CheckBackup(const std::string& dir) {
  const std::string path = dir + "/" + kBackupManifest;
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir, ": no ", kBackupManifest, "; the backup is incomplete or this is not a backup"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  v1::BackupManifest m;
  if (!google::protobuf::TextFormat::ParseFromString(ss.str(), &m)) {
    return absl::DataLossError(absl::StrCat(path, ": does not parse"));
  }
  if (m.format() != kBackupFormat) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": backup format ", m.format(), ", this ilp-node reads format ", kBackupFormat));
  }
  for (const v1::BackupFile& f : m.files()) {
    ILP_RETURN_IF_ERROR(CheckRelative(f.path()));
    const std::string p = dir + "/" + f.path();
    std::error_code ec;
    const uintmax_t size = fs::file_size(p, ec);
    if (ec) return absl::DataLossError(absl::StrCat("backup file ", f.path(), ": missing"));
    if (size != f.size()) {
      return absl::DataLossError(absl::StrCat("backup file ", f.path(), ": ", size, " bytes, the manifest says ", f.size()));
    }
    ILP_ASSIGN_OR_RETURN(std::string sha, FileSha256(p));
    if (sha != f.sha256_hex()) return absl::DataLossError(absl::StrCat("backup file ", f.path(), ": SHA-256 differs"));
  }
  return m;
}

}  // namespace ilp
