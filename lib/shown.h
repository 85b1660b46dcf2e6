/*
 * lib/shown.h - a string as a one-line message may echo it: what a user
 * typed or a file held (a key, an assignment, a zip member's name, a
 * trace's bad field), with every byte outside printable ASCII written as
 * \xNN - control bytes and bytes >= 0x80 - so a message never carries a
 * terminal's escape sequence or a line break, and cut at about N - 8
 * bytes with "...".
 */
#ifndef SLATSIM_SHOWN_H
#define SLATSIM_SHOWN_H

#include <stddef.h>

/* S shown in BUF (N bytes, at least 12). Returns BUF. */
const char *text_shown(const char *s, char *buf, size_t n);

#endif
