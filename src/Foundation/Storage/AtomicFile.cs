namespace FedLlm.Foundation.Storage;

/// <summary>
/// A file written through a temporary sibling that <see cref="Commit"/> flushes to disk and renames over the target, so
/// a crash leaves the old file or the new one, never half of one; disposing without committing discards the attempt.
/// <c>ownerOnly</c> creates it readable by its owner only (keys, a member's decrypted global).
/// </summary>
public sealed class AtomicFile : IDisposable
{
    private readonly string _path;
    private readonly string _temporary;
    private bool _committed;

    private AtomicFile(string path, bool ownerOnly)
    {
        _path = path;
        _temporary = path + ".tmp";
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, BufferSize = 1 << 16 };
        if (ownerOnly && !OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Stream = new FileStream(_temporary, options);
    }

    public FileStream Stream { get; }

    public static AtomicFile Create(string path, bool ownerOnly = false) => new(path, ownerOnly);

    public static void Write(string path, ReadOnlySpan<byte> contents, bool ownerOnly = false)
    {
        using var file = Create(path, ownerOnly);
        file.Stream.Write(contents);
        file.Commit();
    }

    public void Commit()
    {
        Stream.Flush(flushToDisk: true);
        Stream.Dispose();
        File.Move(_temporary, _path, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        Stream.Dispose();
        if (!_committed && File.Exists(_temporary)) File.Delete(_temporary);
    }
}
