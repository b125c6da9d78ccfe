using System.Security.Cryptography;

namespace FedLlm.Federation.Encryption;

/// <summary>Writes secret material readable by its owner only, atomically (a crash leaves the old file or none).</summary>
internal static class SecretFile
{
    public static void Write(string path, byte[] contents)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        string temporary = path + ".tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contents);
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
