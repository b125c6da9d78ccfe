using System;
using System.IO;
using System.Text;

// MSBuild inline task (compiled by RoslynCodeTaskFactory): marks one ELF version need as weak.
// Kept free of project dependencies on purpose: it runs inside MSBuild before anything else is built.
public class WeakenElfVersionNeed : Microsoft.Build.Utilities.Task
{
    public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = System.Array.Empty<Microsoft.Build.Framework.ITaskItem>();
    public string VersionName { get; set; } = "";

    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 2;

    private static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6",
        "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    public override bool Execute()
    {
        if (SystemLibStdCxxDefines(VersionName))
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"System libstdc++ defines {VersionName}; nothing to weaken.");
            return true;
        }
        foreach (var item in Files)
        {
            string path = item.ItemSpec;
            try
            {
                byte[] image = File.ReadAllBytes(path);
                int changed = Weaken(image, VersionName);
                if (changed > 0)
                {
                    // Write a new file rather than in place, so a hard link into the NuGet cache is never modified.
                    string temp = path + ".weakening";
                    File.WriteAllBytes(temp, image);
                    File.Delete(path);
                    File.Move(temp, path);
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, $"Marked {VersionName} need weak in {path}.");
                }
            }
            catch (Exception e)
            {
                Log.LogError($"Could not weaken the {VersionName} need of {path}: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    private static bool SystemLibStdCxxDefines(string version)
    {
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (string candidate in LibStdCxxCandidates)
        {
            if (!File.Exists(candidate)) continue;
            byte[] bytes = File.ReadAllBytes(candidate);
            return IndexOf(bytes, needle) >= 0;
        }
        return false; // unknown libstdc++ location: weakening is harmless, so do it
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = Array.IndexOf(haystack, needle[0]); i >= 0 && i <= haystack.Length - needle.Length; i = Array.IndexOf(haystack, needle[0], i + 1))
        {
            int k = 1;
            while (k < needle.Length && haystack[i + k] == needle[k]) k++;
            if (k == needle.Length) return i;
        }
        return -1;
    }

    /// <summary>Returns how many version-need entries were changed (0 when absent or already weak).</summary>
    private static int Weaken(byte[] elf, string version)
    {
                if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1 || !BitConverter.IsLittleEndian)
            throw new InvalidDataException("only 64-bit little-endian ELF is supported");

        ulong sectionTable = BitConverter.ToUInt64(elf, 0x28);
        int sectionSize = BitConverter.ToUInt16(elf, 0x3a);
        int sectionCount = BitConverter.ToUInt16(elf, 0x3c);
        int changed = 0;
        for (int s = 0; s < sectionCount; s++)
        {
            int header = checked((int)sectionTable + s * sectionSize);
            if (BitConverter.ToUInt32(elf, header + 4) != ShtGnuVerneed) continue;

            int needOffset = checked((int)BitConverter.ToUInt64(elf, header + 0x18));
            int link = (int)BitConverter.ToUInt32(elf, header + 0x28);
            int needCount = (int)BitConverter.ToUInt32(elf, header + 0x2c);
            int stringsHeader = checked((int)sectionTable + link * sectionSize);
            int stringsOffset = checked((int)BitConverter.ToUInt64(elf, stringsHeader + 0x18));

            for (int n = 0; n < needCount; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, needOffset + 2);
                int auxOffset = needOffset + (int)BitConverter.ToUInt32(elf, needOffset + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    int aux = auxOffset;
                    int nameOffset = stringsOffset + (int)BitConverter.ToUInt32(elf, aux + 8);
                    int nameLength = Array.IndexOf(elf, (byte)0, nameOffset) - nameOffset;
                    string name = Encoding.ASCII.GetString(elf, nameOffset, nameLength);
                    ushort flags = BitConverter.ToUInt16(elf, aux + 4);
                    if (name == version && (flags & VerFlagWeak) == 0)
                    {
                        elf[aux + 4] = (byte)(flags | VerFlagWeak); elf[aux + 5] = (byte)((flags | VerFlagWeak) >> 8);
                        changed++;
                    }
                    auxOffset += (int)BitConverter.ToUInt32(elf, aux + 12);
                }
                int next = (int)BitConverter.ToUInt32(elf, needOffset + 12);
                if (next == 0) break;
                needOffset += next;
            }
        }
        return changed;
    }
}
