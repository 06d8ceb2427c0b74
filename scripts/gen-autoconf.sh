#!/bin/sh
# Turn a Kconfig .config into the C header the code includes.
# y -> #define CONFIG_X 1; strings and numbers verbatim; "not set" -> nothing.
set -e
echo "/* Generated from $1 by scripts/gen-autoconf.sh; do not edit. */"
echo "#ifndef PVISOR_AUTOCONF_H"
echo "#define PVISOR_AUTOCONF_H"
sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)$/\1 \2/p' "$1" | while read -r name value; do
	case "$value" in
	y) echo "#define $name 1" ;;
	m) echo "#define ${name}_MODULE 1" ;;
	*) echo "#define $name $value" ;;
	esac
done
echo "#endif"
