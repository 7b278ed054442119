// Generates java_date_time_format.tsv, the expected outputs of
// firehose::DateTimePattern, from Java's own DateTimeFormatter (the formatter
// Firehose's !{timestamp:...} expressions are documented to use).
// Run with a JDK 11+ from this directory:
//   java JavaDateTimeFormatOracle.java > java_date_time_format.tsv
// Each line: zone, epoch ms, pattern, output; a pattern Java refuses is one
// line "-, -, pattern, ERROR <Java's message>".
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

public class JavaDateTimeFormatOracle {
  static final String[] PATTERNS = {
    "yyyy/MM/dd/HH", "yyyy/MM/dd/HH/", "'year='yyyy'/month='MM'/day='dd'/hour='HH", "''", "'o''clock'",
    "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "y", "yy", "yyy", "yyyy", "yyyyy", "u", "uu", "uuuu",
    "M", "MM", "MMM", "MMMM", "MMMMM", "L", "LL", "LLL", "LLLL", "d", "dd", "D", "DD", "DDD",
    "E", "EE", "EEE", "EEEE", "EEEEE", "e", "ee", "eee", "eeee", "c", "ccc", "cccc", "a",
    "h", "hh", "K", "KK", "k", "kk", "H", "HH", "m", "mm", "s", "ss",
    "S", "SS", "SSS", "SSSS", "SSSSSS", "SSSSSSSSS", "A", "AAAAAAAAA", "n", "N",
    "Q", "QQ", "QQQ", "QQQQ", "QQQQQ", "q", "qq", "G", "GG", "GGG", "GGGG", "GGGGG",
    "w", "ww", "W", "Y", "YY", "YYYY", "F",
    "VV", "Z", "ZZ", "ZZZ", "ZZZZ", "ZZZZZ", "X", "XX", "XXX", "XXXX", "XXXXX",
    "x", "xx", "xxx", "xxxx", "xxxxx", "O", "OOOO", "[yyyy]", "[yyyy[MM]]dd", "-_.!*() =,;+",
    "ddd", "HHH", "mmm", "sss", "hhh", "MMMMMM", "EEEEEE", "DDDD", "SSSSSSSSSS", "WW", "www",
    "aa", "V", "VVV", "OO", "ZZZZZZ", "XXXXXX", "b", "'abc", "]", "#", "{", "}", "FF",
  };
  static final long[] INSTANTS = {
    1535365800123L, 1530918900000L, 1546171200000L, 1546084800000L, 1710053999000L, 1710054000000L,
    1730611800000L, 0L, 946684799999L, 1735603200000L, 1609459200000L, 4118083200000L,
  };
  static final String[] ZONES = {
    "UTC", "Asia/Tokyo", "America/New_York", "Australia/Sydney", "America/St_Johns", "Pacific/Chatham",
  };

  public static void main(String[] args) {
    Locale.setDefault(Locale.US);
    // A refused pattern is refused whatever the instant: one line each.
    for (String p : PATTERNS) {
      try {
        DateTimeFormatter.ofPattern(p);
      } catch (IllegalArgumentException e) {
        System.out.println("-\t-\t" + p + "\tERROR " + e.getMessage());
      }
    }
    for (String z : ZONES) {
      for (long ms : INSTANTS) {
        for (String p : PATTERNS) {
          DateTimeFormatter f;
          try {
            f = DateTimeFormatter.ofPattern(p);
          } catch (IllegalArgumentException e) {
            continue;
          }
          System.out.println(z + "\t" + ms + "\t" + p + "\t" + f.format(Instant.ofEpochMilli(ms).atZone(ZoneId.of(z))));
        }
      }
    }
  }
}
