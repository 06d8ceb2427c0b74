# make bench: figures printed in one run (see bench/README in the top README).
BENCH_TARGETS += bench-run
bench-run: $(BUILD)/pvctl guests
	$(Q)sh bench/run.sh
