// SPDX-License-Identifier: Apache-2.0
/// \file
/// The client settings of a `kafka` connection definition, as librdkafka properties.
///
/// ```json
/// {"tickets": {"type": "kafka",
///              "bootstrapServers": "127.0.0.1:9092",
///              "security": {"protocol": "SASL_SSL", "brokerPublicCertificate": "...pem..."},
///              "authentication": {"mechanism": "SCRAM-SHA-256",
///                                 "username": "reel", "password": {"$env": "KAFKA_PASSWORD"}},
///              "config": {"socket.keepalive.enable": "true"}}}
/// ```
/// `security.protocol`: `PLAINTEXT` (default), `SSL`, `SASL_SSL`, `SASL_PLAINTEXT`;
/// `authentication.mechanism`: `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512` (needs a `SASL_*`
/// protocol). `config` is passed to librdkafka as it is (values may be strings, numbers or
/// booleans), after Reel's own settings, so it can override them.
#pragma once

#include <map>
#include <string>

#include "reel/connector/registry.hpp"

namespace reel::kafka {

/// `config.keyFormat` of `$source` and `$emit`: how message keys are decoded and encoded.
enum class key_format { bin_data, string, json, int32, int64 };

/// `"binData"`, `"string"`, `"json"`, `"int"`, `"long"`.
const char* key_format_name(key_format f) noexcept;
/// Reads a `keyFormat` value; throws `reel.pipeline.invalid_option` at `where` (with a
/// suggestion) for another string.
key_format parse_key_format(const std::string& name, const std::string& where);

/// librdkafka configuration properties (`bootstrap.servers`, `security.protocol`, ...).
using properties = std::map<std::string, std::string>;

/// Checks a connection definition and returns its client properties; throws
/// `reel.connection.invalid` at the offending field.
properties client_properties(const connection_args& args);

/// `config` objects of stages and definitions: `{"a.b": "x", "linger.ms": 5, "enable.idempotence":
/// true}` → strings. Throws `reel.connection.invalid` at `where` for other value types.
properties config_map(const nlohmann::ordered_json& config, const std::string& where);

}  // namespace reel::kafka
