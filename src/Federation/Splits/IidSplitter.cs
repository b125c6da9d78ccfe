using FedLlm.Foundation.Randomness;

namespace FedLlm.Federation.Splits;

/// <summary>IID split (OFL's only one): shuffle the records, then cut even shards; sizes differ by at most one.</summary>
public static class IidSplitter
{
    public const string RandomPurpose = "split-iid";

    public static ClientSplit Split(int recordCount, int clients, ulong seed)
    {
        SplitArguments.RequireClients(clients, recordCount);
        int[] order = [.. Enumerable.Range(0, recordCount)];
        Xoshiro256StarStar.ForPurpose(seed, RandomPurpose).Shuffle(order.AsSpan());
        var shards = new List<int[]>(clients);
        int baseSize = recordCount / clients;
        int larger = recordCount % clients;
        int start = 0;
        for (int client = 0; client < clients; client++)
        {
            int size = baseSize + (client < larger ? 1 : 0);
            shards.Add(order[start..(start + size)]);
            start += size;
        }
        return new ClientSplit(SplitMethods.Iid, recordCount, shards, seed);
    }
}
