// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::kafka`: Kafka `$source` (consumer groups), `$emit` and DLQ topics on librdkafka. Link
/// `reel::kafka` (CMake `-DREEL_WITH_KAFKA=ON`, `find_package(reel COMPONENTS kafka)`).
#pragma once

#include "reel/kafka/connection_type.hpp"
#include "reel/kafka/properties.hpp"
#include "reel/kafka/sink.hpp"
#include "reel/kafka/source.hpp"
