// SPDX-License-Identifier: Apache-2.0
/// \file
/// Umbrella header of the MongoDB connector (link `reel::mongo`; build with
/// `-DREEL_WITH_MONGO=ON`, needs libmongoc): `$merge` into collections, the DLQ collection,
/// `$emit` into a collection, the change-stream `$source` and the checkpoint store. No libmongoc
/// or libbson header is included.
#pragma once

#include "reel/mongo/change_stream.hpp"
#include "reel/mongo/checkpoint_store.hpp"
#include "reel/mongo/client.hpp"
#include "reel/mongo/connection_type.hpp"
#include "reel/mongo/error.hpp"
#include "reel/mongo/insert_sink.hpp"
#include "reel/mongo/merge_sink.hpp"
