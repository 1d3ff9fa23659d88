// SPDX-License-Identifier: Apache-2.0
#include "reel/kafka/properties.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "reel/error.hpp"

namespace reel::kafka {

namespace {

const nlohmann::ordered_json* object_field(const connection_args& args, const char* key) {
  auto it = args.definition.find(key);
  if (it == args.definition.end()) return nullptr;
  if (!it->is_object())
    args.definition_error(std::string("/") + key, std::string(key) + " must be an object");
  return &*it;
}

std::string string_field(const connection_args& args, const nlohmann::ordered_json& obj,
                         const std::string& at, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    args.definition_error(at + "/" + key, std::string(key) + " must be a non-empty string");
  }
  return it->get<std::string>();
}

void only_keys(const connection_args& args, const nlohmann::ordered_json& obj,
               const std::string& at, const std::vector<std::string>& allowed) {
  for (const auto& [key, value] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      args.definition_error(
          json_pointer_append(at, key),
          "unknown field '" + key + "'" + reel::detail::did_you_mean(key, allowed));
    }
  }
}

}  // namespace

const char* key_format_name(key_format f) noexcept {
  switch (f) {
    case key_format::bin_data:
      return "binData";
    case key_format::string:
      return "string";
    case key_format::json:
      return "json";
    case key_format::int32:
      return "int";
    case key_format::int64:
      return "long";
  }
  return "binData";
}

key_format parse_key_format(const std::string& name, const std::string& where) {
  static const std::vector<std::string> names = {"binData", "string", "json", "int", "long"};
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) {
    throw_error("reel.pipeline.invalid_option", where,
                "unknown keyFormat '" + name + "'" + reel::detail::did_you_mean(name, names) +
                    "; use binData, string, json, int or long");
  }
  return static_cast<key_format>(it - names.begin());
}

properties config_map(const nlohmann::ordered_json& config, const std::string& where) {
  properties out;
  if (config.is_null()) return out;
  if (!config.is_object())
    throw_error("reel.connection.invalid", where, "config must be an object");
  for (const auto& [key, value] : config.items()) {
    if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else if (value.is_boolean()) {
      out[key] = value.get<bool>() ? "true" : "false";
    } else if (value.is_number_integer()) {
      out[key] = std::to_string(value.get<std::int64_t>());
    } else if (value.is_number()) {
      out[key] = value.dump();
    } else {
      throw_error("reel.connection.invalid", json_pointer_append(where, key),
                  "config values must be strings, numbers or booleans");
    }
  }
  return out;
}

properties client_properties(const connection_args& args) {
  check_definition_keys(args, "kafka",
                        {"bootstrapServers", "security", "authentication", "config"});
  properties p;
  auto servers = args.definition.find("bootstrapServers");
  if (servers == args.definition.end()) {
    args.definition_error("", "a kafka connection needs bootstrapServers: \"host:9092,...\"");
  }
  if (servers->is_array()) {
    std::string joined;
    for (const auto& s : *servers) {
      if (!s.is_string())
        args.definition_error("/bootstrapServers", "bootstrapServers must be strings");
      joined += (joined.empty() ? "" : ",") + s.get<std::string>();
    }
    p["bootstrap.servers"] = joined;
  } else if (servers->is_string() && !servers->get_ref<const std::string&>().empty()) {
    p["bootstrap.servers"] = servers->get<std::string>();
  } else {
    args.definition_error("/bootstrapServers",
                          "bootstrapServers must be a non-empty string \"host:port,...\"");
  }

  std::string protocol = "PLAINTEXT";
  if (const auto* security = object_field(args, "security")) {
    only_keys(args, *security, "/security", {"protocol", "brokerPublicCertificate"});
    if (security->contains("protocol"))
      protocol = string_field(args, *security, "/security", "protocol");
    static const std::vector<std::string> protocols = {"PLAINTEXT", "SSL", "SASL_SSL",
                                                       "SASL_PLAINTEXT"};
    if (std::find(protocols.begin(), protocols.end(), protocol) == protocols.end()) {
      args.definition_error("/security/protocol",
                            "protocol must be PLAINTEXT, SSL, SASL_SSL or SASL_PLAINTEXT, not '" +
                                protocol + "'" + reel::detail::did_you_mean(protocol, protocols));
    }
    if (security->contains("brokerPublicCertificate")) {
      p["ssl.ca.pem"] = string_field(args, *security, "/security", "brokerPublicCertificate");
    }
  }
  p["security.protocol"] = protocol;
  const bool sasl = protocol.starts_with("SASL_");
  if (const auto* auth = object_field(args, "authentication")) {
    only_keys(args, *auth, "/authentication", {"mechanism", "username", "password"});
    const std::string mechanism = string_field(args, *auth, "/authentication", "mechanism");
    static const std::vector<std::string> mechanisms = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
    if (std::find(mechanisms.begin(), mechanisms.end(), mechanism) == mechanisms.end()) {
      args.definition_error("/authentication/mechanism",
                            "mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, not '" +
                                mechanism + "'" +
                                reel::detail::did_you_mean(mechanism, mechanisms));
    }
    if (!sasl) {
      args.definition_error("/authentication",
                            "authentication needs security.protocol SASL_SSL or SASL_PLAINTEXT");
    }
    p["sasl.mechanism"] = mechanism;
    p["sasl.username"] = string_field(args, *auth, "/authentication", "username");
    p["sasl.password"] = string_field(args, *auth, "/authentication", "password");
  } else if (sasl) {
    args.definition_error("/security/protocol",
                          protocol + " needs authentication: {mechanism, username, password}");
  }
  auto config = args.definition.find("config");
  if (config != args.definition.end()) {
    for (auto& [k, v] : config_map(*config, args.definition_where + "/config"))
      p[k] = v;
  }
  return p;
}

}  // namespace reel::kafka
