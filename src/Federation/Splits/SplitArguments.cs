using System.Globalization;

namespace FedLlm.Federation.Splits;

/// <summary>Argument checks shared by the splitters, with messages that say what to change.</summary>
internal static class SplitArguments
{
    public static void RequireClients(int clients, int records, int minPerClient = 1)
    {
        if (clients <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(clients), clients, "The number of clients must be > 0.");
        }
        if (clients > records)
        {
            throw new ArgumentException($"Cannot split {records} records among {clients} clients: more clients than records.", nameof(clients));
        }
        if (minPerClient < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(minPerClient), minPerClient, "The minimum records per client must be >= 0.");
        }
        if ((long)minPerClient * clients > records)
        {
            throw new ArgumentException(
                $"Cannot give each of {clients} clients at least {minPerClient} records: only {records} records.", nameof(minPerClient));
        }
    }

    public static void RequirePositive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number > 0 (got {Format(value)}).");
        }
    }

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Splits <paramref name="total"/> into integer parts proportional to <paramref name="proportions"/> (largest remainder, ties to the lower index).</summary>
    public static int[] Apportion(ReadOnlySpan<double> proportions, int total)
    {
        var counts = new int[proportions.Length];
        var remainders = new (double Remainder, int Index)[proportions.Length];
        int assigned = 0;
        for (int i = 0; i < proportions.Length; i++)
        {
            double exact = proportions[i] * total;
            counts[i] = (int)Math.Floor(exact);
            assigned += counts[i];
            remainders[i] = (exact - counts[i], i);
        }
        Array.Sort(remainders, (a, b) => a.Remainder != b.Remainder ? b.Remainder.CompareTo(a.Remainder) : a.Index.CompareTo(b.Index));
        for (int k = 0; assigned < total; k = (k + 1) % counts.Length)
        {
            counts[remainders[k].Index]++;
            assigned++;
        }
        return counts;
    }
}
