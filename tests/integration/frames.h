/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Hand-made frames, good and bad, with what the agent must do with each.
 * They are also the integration tests' share of the fuzz seed corpus:
 * itest-gen-corpus writes each one to tests/fuzz/corpus/<name>, and the
 * e2e suite checks that the files there still match (and replays every
 * file of the directory against a live agent).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* `expect` of a frame the agent answers by closing the connection. */
#define FX_CLOSE (-1)
/* Session id the frames use: the first object a fresh client key gets. */
#define FX_SESSION 1
/* req_id of every frame. */
#define FX_REQ 7
/* The agent started to replay them runs with --max-memory FX_MAX_MEMORY. */
#define FX_MAX_MEMORY "1G"

struct fx_frame {
	/* file name in the corpus: itest-good-... or itest-bad-... */
	const char *name;
	/* what it is, for messages */
	const char *why;
	/* malloc'd bytes: one frame, or what passes for one */
	uint8_t *data;
	size_t len;
	/* sent after a HELLO and a SESS_NEW (so session FX_SESSION exists);
	 * otherwise as the first bytes of a connection */
	bool after_hello;
	/* status of the first reply, or FX_CLOSE */
	int expect;
	/* the connection still serves a valid call afterwards */
	bool usable;
};

unsigned int fx_count(void);
/* Build frame i (0 .. fx_count() - 1). 0, or -1 out of memory. */
int fx_build(struct fx_frame *f, unsigned int i);
void fx_free(struct fx_frame *f);
