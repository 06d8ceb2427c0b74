# cmocka unit tests, built with AddressSanitizer and UBSan.
CHECK_TARGETS += check-unit

UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/unit/%)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBPVISOR_SAN) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  CC-SAN  $<"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -Itests/unit -o $@ $< $(LIBPVISOR_SAN) $(LDLIBS) -lcmocka

check-unit: $(UNIT_BINS)
	$(Q)sh tests/unit/run.sh $(UNIT_BINS)
