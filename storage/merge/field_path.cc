#include "storage/merge/field_path.h"

#include <vector>

#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"

namespace ilp {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Resolves all but the last component; returns the leaf field or nullptr.
const FieldDescriptor* Leaf(const Descriptor* d, absl::string_view path,
                            std::vector<const FieldDescriptor*>* parents) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  const FieldDescriptor* f = nullptr;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (d == nullptr) return nullptr;
    f = d->FindFieldByName(std::string(parts[i]));
    if (f == nullptr || f->is_repeated()) return nullptr;
    if (i + 1 < parts.size()) {
      if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return nullptr;
      parents->push_back(f);
      d = f->message_type();
    }
  }
  return f;
}

}  // namespace

bool IsSingularFieldPath(const Descriptor* descriptor, absl::string_view path) {
  std::vector<const FieldDescriptor*> parents;
  return Leaf(descriptor, path, &parents) != nullptr;
}

void CopyFieldPath(const Message& src, Message* dst, absl::string_view path) {
  std::vector<const FieldDescriptor*> parents;
  const FieldDescriptor* leaf = Leaf(src.GetDescriptor(), path, &parents);
  if (leaf == nullptr) return;
  const Message* s = &src;
  Message* d = dst;
  for (const FieldDescriptor* p : parents) {
    s = &s->GetReflection()->GetMessage(*s, p);
    d = d->GetReflection()->MutableMessage(d, p);
  }
  const Reflection* sr = s->GetReflection();
  const Reflection* dr = d->GetReflection();
  if (leaf->has_presence() && !sr->HasField(*s, leaf)) {
    dr->ClearField(d, leaf);
    return;
  }
  switch (leaf->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: dr->SetInt32(d, leaf, sr->GetInt32(*s, leaf)); break;
    case FieldDescriptor::CPPTYPE_INT64: dr->SetInt64(d, leaf, sr->GetInt64(*s, leaf)); break;
    case FieldDescriptor::CPPTYPE_UINT32: dr->SetUInt32(d, leaf, sr->GetUInt32(*s, leaf)); break;
    case FieldDescriptor::CPPTYPE_UINT64: dr->SetUInt64(d, leaf, sr->GetUInt64(*s, leaf)); break;
    case FieldDescriptor::CPPTYPE_DOUBLE: dr->SetDouble(d, leaf, sr->GetDouble(*s, leaf)); break;
    case FieldDescriptor::CPPTYPE_FLOAT: dr->SetFloat(d, leaf, sr->GetFloat(*s, leaf)); break;
    case FieldDescriptor::CPPTYPE_BOOL: dr->SetBool(d, leaf, sr->GetBool(*s, leaf)); break;
    case FieldDescriptor::CPPTYPE_ENUM: dr->SetEnumValue(d, leaf, sr->GetEnumValue(*s, leaf)); break;
    case FieldDescriptor::CPPTYPE_STRING: dr->SetString(d, leaf, sr->GetString(*s, leaf)); break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      dr->MutableMessage(d, leaf)->CopyFrom(sr->GetMessage(*s, leaf));
      break;
  }
}

std::string FieldPathText(const Message& msg, absl::string_view path) {
  std::vector<const FieldDescriptor*> parents;
  const FieldDescriptor* leaf = Leaf(msg.GetDescriptor(), path, &parents);
  if (leaf == nullptr) return "";
  const Message* m = &msg;
  for (const FieldDescriptor* p : parents) m = &m->GetReflection()->GetMessage(*m, p);
  if (leaf->has_presence() && !m->GetReflection()->HasField(*m, leaf)) return "";
  std::string out;
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  printer.PrintFieldValueToString(*m, leaf, -1, &out);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace ilp
