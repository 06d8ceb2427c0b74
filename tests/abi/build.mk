# SPDX-License-Identifier: MIT
# tests/abi: the pvabi headers against Xen's public headers (libxen-dev),
# entry by entry, plus a check that abi-list.h covers every definition.
#
# abi-xen.c is the only file in the tree that includes <xen/...>; it gets
# its own flags: no pvabi include path, no autoconf, and the interface
# version a current 64-bit guest is built with.

ABI_TEST       := $(BUILD)/tests/abi-test
ABI_OBJDIR     := $(BUILD)/tests/abi
ABI_OBJS       := $(ABI_OBJDIR)/abi-test.o $(ABI_OBJDIR)/abi-ours.o \
                  $(ABI_OBJDIR)/abi-xen.o
ABI_XEN_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
                  -Wno-unused-parameter -D__XEN_INTERFACE_VERSION__=0x00040e00

$(ABI_OBJDIR)/abi-test.o $(ABI_OBJDIR)/abi-ours.o: $(ABI_OBJDIR)/%.o: \
		tests/abi/%.c $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(ABI_OBJDIR)/abi-xen.o: tests/abi/abi-xen.c
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  CC      $<"
	$(Q)$(CC) $(ABI_XEN_CFLAGS) -MMD -MP -c $< -o $@

$(ABI_TEST): $(ABI_OBJS)
	$(Q)echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -lcmocka

# One verdict for both halves: the comparison itself, and coverage.py
# (every pvabi definition has an entry).  Without python3/pycparser the
# layout is still compared; only the list's completeness goes unchecked.
check-abi: $(ABI_TEST)
	$(Q)ok=1; \
	$(ABI_TEST) || ok=0; \
	if command -v python3 >/dev/null; then \
		python3 tests/abi/coverage.py $(CC) guest-abi/include \
			tests/abi/abi-list.h; rc=$$?; \
	else \
		rc=77; \
	fi; \
	if [ $$rc -eq 77 ]; then \
		echo "abi-layout: list coverage not checked (needs python3-pycparser)"; \
	elif [ $$rc -ne 0 ]; then \
		ok=0; \
	fi; \
	if [ $$ok -eq 1 ]; then echo "PASS: abi-layout"; \
	else echo "FAIL: abi-layout"; exit 1; fi

CHECK_TARGETS += check-abi
