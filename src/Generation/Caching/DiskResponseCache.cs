using System.Security.Cryptography;
using System.Text;
using FedLlm.Foundation.Storage;
using Microsoft.Extensions.Caching.Distributed;

namespace FedLlm.Generation.Caching;

/// <summary>
/// Responses on disk, one file per key under <c>directory/xx/</c>, written atomically so an interrupted run leaves whole
/// entries only. Entries never expire: a re-run with the same requests reads them all and sends nothing. Delete the
/// folder to start afresh.
/// </summary>
public sealed class DiskResponseCache(string directory) : IDistributedCache
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public byte[]? Get(string key)
    {
        string path = PathOf(key);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Task.FromResult(Get(key));

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        try
        {
            AtomicFile.Write(PathOf(key), value);
        }
        catch (IOException)
        {
            // Another caller is storing the same response right now; theirs will do.
        }
    }

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        Set(key, value, options);
        return Task.CompletedTask;
    }

    public void Refresh(string key)
    {
    }

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key) => File.Delete(PathOf(key));

    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        Remove(key);
        return Task.CompletedTask;
    }

    /// <summary>Entries currently stored.</summary>
    public int Count => System.IO.Directory.Exists(Directory) ? System.IO.Directory.EnumerateFiles(Directory, "*.json", SearchOption.AllDirectories).Count() : 0;

    private string PathOf(string key)
    {
        string name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        return Path.Combine(Directory, name[..2], name + ".json");
    }
}
