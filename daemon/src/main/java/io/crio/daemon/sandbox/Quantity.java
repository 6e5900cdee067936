package io.crio.daemon.sandbox;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Kubernetes resource quantities ({@code 10M}, {@code 1Gi}, {@code 500k}, {@code 1e6}) as whole numbers. */
final class Quantity {

    private static final Pattern FORM = Pattern.compile("([+]?[0-9]+(?:\\.[0-9]*)?|[+]?\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m|[eE][+-]?[0-9]+)?");
    private static final Map<String, BigDecimal> SUFFIX = Map.ofEntries(
            Map.entry("", BigDecimal.ONE),
            Map.entry("m", new BigDecimal("0.001")),
            Map.entry("k", BigDecimal.TEN.pow(3)), Map.entry("M", BigDecimal.TEN.pow(6)),
            Map.entry("G", BigDecimal.TEN.pow(9)), Map.entry("T", BigDecimal.TEN.pow(12)),
            Map.entry("P", BigDecimal.TEN.pow(15)), Map.entry("E", BigDecimal.TEN.pow(18)),
            Map.entry("Ki", BigDecimal.valueOf(2).pow(10)), Map.entry("Mi", BigDecimal.valueOf(2).pow(20)),
            Map.entry("Gi", BigDecimal.valueOf(2).pow(30)), Map.entry("Ti", BigDecimal.valueOf(2).pow(40)),
            Map.entry("Pi", BigDecimal.valueOf(2).pow(50)), Map.entry("Ei", BigDecimal.valueOf(2).pow(60)));

    private Quantity() {}

    /** The value rounded up to a whole number; IllegalArgumentException when it is not a quantity. */
    static long parse(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a quantity");
        }
        BigDecimal number = new BigDecimal(m.group(1).replace("+", ""));
        String suffix = m.group(2) == null ? "" : m.group(2);
        BigDecimal value = suffix.startsWith("e") || suffix.startsWith("E")
                ? number.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1).replace("+", "")))
                : number.multiply(SUFFIX.get(suffix));
        BigDecimal whole = value.setScale(0, java.math.RoundingMode.CEILING);
        if (whole.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("\"" + text + "\" is too large");
        }
        return whole.longValueExact();
    }
}
