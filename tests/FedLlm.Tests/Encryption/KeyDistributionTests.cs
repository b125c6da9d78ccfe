using System.Runtime.Versioning;
using FedLlm.Encryption.Keys;
using FedLlm.Federation.Encryption;
using FedLlm.Encryption.Homomorphic;
using FedLlm.Tests.Infrastructure;
using FedLlm.Transport.Client;
using FedLlm.Transport.Server;

namespace FedLlm.Tests.Encryption;

/// <summary>How the key holder's HE key reaches the other members through a server that cannot read it.</summary>
[UnsupportedOSPlatform("windows")] // checks Unix file permissions of the secret files
public class KeyDistributionTests
{
    private static readonly HeParameters Parameters = HeParameters.Create(maxClients: 4);

    [Fact]
    public void ASealedShareOpensOnlyForItsRecipientRunAndId()
    {
        using var holder = KeyExchangeIdentity.Create();
        using var member = KeyExchangeIdentity.Create();
        using var other = KeyExchangeIdentity.Create();
        using var key = HeSecretKey.Generate(Parameters);
        byte[] secret = key.Export();

        byte[] sealedShare = SealedKeyShare.Seal(holder, member.PublicKey, "run-a", 2, secret);

        var (opened, fingerprint) = SealedKeyShare.Open(member, sealedShare, "run-a", 2);
        Assert.Equal(secret, opened);
        Assert.Equal(holder.Fingerprint, fingerprint);
        Assert.True(sealedShare.AsSpan().IndexOf(secret.AsSpan(28, 32)) < 0, "the share carries the key in the clear");
        Assert.Contains("does not open", Assert.Throws<InvalidDataException>(() => SealedKeyShare.Open(other, sealedShare, "run-a", 2)).Message);
        Assert.Throws<InvalidDataException>(() => SealedKeyShare.Open(member, sealedShare, "run-b", 2));
        Assert.Throws<InvalidDataException>(() => SealedKeyShare.Open(member, sealedShare, "run-a", 3));
        byte[] tampered = (byte[])sealedShare.Clone();
        tampered[^1] ^= 1;
        Assert.Throws<InvalidDataException>(() => SealedKeyShare.Open(member, tampered, "run-a", 2));
        Assert.Contains("FLKS", Assert.Throws<InvalidDataException>(() => SealedKeyShare.Open(member, sealedShare.AsSpan(1), "run-a", 2)).Message);
    }

    [Fact]
    public void AKeyExchangeIdentitySurvivesARestartAndADamagedFileIsNamed()
    {
        using var temp = new TempDirectory();
        string path = Path.Combine(temp.Path, "key-exchange.pem");
        byte[] first;
        using (var created = KeyExchangeIdentity.LoadOrCreate(path)) first = created.PublicKey;
        using (var loaded = KeyExchangeIdentity.LoadOrCreate(path)) Assert.Equal(first, loaded.PublicKey);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        File.WriteAllText(path, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        var error = Assert.Throws<InvalidDataException>(() => KeyExchangeIdentity.LoadOrCreate(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void ASavedSecretKeyIsRefusedForAnotherRun()
    {
        using var temp = new TempDirectory();
        string path = Path.Combine(temp.Path, "he-secret.key");
        using var key = HeSecretKey.Generate(Parameters);
        SecretKeyFile.Write(path, "run-a|digest", key);

        using (var restored = SecretKeyFile.Read(path, "run-a|digest", Parameters)!) Assert.Equal(key.Export(), restored.Export());
        Assert.Contains("belongs to run 'run-a|digest'", Assert.Throws<InvalidDataException>(() => SecretKeyFile.Read(path, "run-b|digest", Parameters)).Message);
        Assert.Null(SecretKeyFile.Read(Path.Combine(temp.Path, "missing.key"), "run-a|digest", Parameters));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task TheRelayAsksTheHolderForEachNewMemberKeyAndHandsOutOnlyMatchingShares()
    {
        var relay = new KeyRelay();
        relay.Register(0, "holder", [9]);
        relay.Register(1, "beta", [1, 1]);
        relay.Register(2, "gamma", [2, 2]);

        var (requests, finished) = await relay.WaitForRequestsAsync(keyHolder: 0, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.False(finished);
        Assert.Equal([1, 2], requests.Select(r => r.ClientId));

        // A share sealed to a key the member no longer uses is dropped.
        Assert.Equal([1], relay.Post([(1, new byte[] { 1, 1 }, new byte[] { 7 }), (2, new byte[] { 3, 3 }, new byte[] { 8 })]));
        Assert.Equal(new byte[] { 7 }, (await relay.WaitForShareAsync(1, TimeSpan.FromSeconds(5), CancellationToken.None)).Share);
        Assert.Equal((null, false, false), await relay.WaitForShareAsync(2, TimeSpan.FromMilliseconds(50), CancellationToken.None));

        // A member that comes back with a new key is asked for again; a waiting member wakes when its share arrives.
        relay.Register(1, "beta", [1, 2]);
        var waiting = relay.WaitForShareAsync(1, TimeSpan.FromSeconds(30), CancellationToken.None);
        (requests, _) = await relay.WaitForRequestsAsync(0, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal([1, 2], requests.Select(r => r.ClientId));
        relay.Post([(1, new byte[] { 1, 2 }, new byte[] { 5 })]);
        Assert.Equal(new byte[] { 5 }, (await waiting).Share);

        // A key the holder refuses (not pinned) is not asked for again, and its member learns of the refusal at once;
        // a refusal of a key the member no longer uses changes nothing.
        Assert.False(relay.Refuse(2, [3, 3]));
        Assert.True(relay.Refuse(2, [2, 2]));
        Assert.Equal((null, true, false), await relay.WaitForShareAsync(2, TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.Empty((await relay.WaitForRequestsAsync(0, TimeSpan.FromMilliseconds(50), CancellationToken.None)).Requests);

        // Once the run is over, nobody waits: a member still without a share learns it will get none.
        relay.Finish();
        Assert.True((await relay.WaitForRequestsAsync(0, TimeSpan.FromSeconds(30), CancellationToken.None)).Finished);
        relay.Register(2, "gamma", [2, 3]);
        Assert.Equal((null, false, true), await relay.WaitForShareAsync(2, TimeSpan.FromSeconds(30), CancellationToken.None));
    }

    [Fact]
    public void AMembersSavedGlobalIsCheckedForDamageAndRun()
    {
        using var temp = new TempDirectory();
        string path = Path.Combine(temp.Path, "global.bin");
        float[] global = [0.5f, -1.25f, 3f];
        byte[] stepState = [7, 8, 9];
        ClientGlobalFile.Write(path, "run-a|d", 4, global, stepState);

        var (rounds, restored, state) = ClientGlobalFile.Read(path, "run-a|d", 3)!.Value;
        Assert.Equal(4, rounds);
        Assert.Equal(global, restored);
        Assert.Equal(stepState, state);
        Assert.Contains("belongs to run", Assert.Throws<InvalidDataException>(() => ClientGlobalFile.Read(path, "run-b|d", 3)).Message);
        Assert.Contains("3 values", Assert.Throws<InvalidDataException>(() => ClientGlobalFile.Read(path, "run-a|d", 4)).Message);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[20] ^= 1;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => ClientGlobalFile.Read(path, "run-a|d", 3)).Message);
    }

    [Fact]
    public void APublicKeyOnAnotherCurveOrDamagedIsRefusedBeforeAnythingIsSealed()
    {
        using var p256 = KeyExchangeIdentity.Create();
        using var brainpool = System.Security.Cryptography.ECDiffieHellman.Create(System.Security.Cryptography.ECCurve.NamedCurves.brainpoolP256r1);
        Assert.Null(KeyExchangeIdentity.Problem(p256.PublicKey));
        Assert.Contains("P-256", KeyExchangeIdentity.Problem(brainpool.ExportSubjectPublicKeyInfo()));
        Assert.Contains("P-256", KeyExchangeIdentity.Problem(p256.PublicKey.AsSpan(0, 20)));
        using var key = HeSecretKey.Generate(Parameters);
        Assert.Throws<InvalidDataException>(() => SealedKeyShare.Seal(p256, brainpool.ExportSubjectPublicKeyInfo(), "run", 1, key.Export()));
    }

    [Fact]
    public void TheRunStoreRecordsOneKeyCheckAndDropsAggregatesOfRoundsThatRunAgain()
    {
        using var temp = new TempDirectory();
        string folder = Path.Combine(temp.Path, "encryption");
        var store = EncryptedRunStore.StartFresh(folder);
        Assert.True(store.TryRecordKeyCheck([1, 2, 3]));
        Assert.False(store.TryRecordKeyCheck([9, 9, 9]));
        store.SaveRound(0, [10]);
        store.Completed(0);
        store.SaveRound(1, null); // below min_clients: no aggregate, but the round is accounted for
        store.Completed(1);
        store.SaveRound(2, [12]); // written, then the server crashed before round 3's checkpoint

        var resumed = EncryptedRunStore.Resume(folder, completedRounds: 2);
        Assert.Equal(store.RunId, resumed.RunId);
        Assert.Equal(new byte[] { 1, 2, 3 }, resumed.KeyCheck);
        Assert.Equal([0], resumed.Between(0, 2).Select(a => a.Round));
        Assert.False(File.Exists(Path.Combine(folder, "round-0002.he")), "round 3's stale aggregate survived the resume");
        File.Delete(Path.Combine(folder, "round-0001.he"));
        Assert.Contains("round 2", Assert.Throws<InvalidDataException>(() => resumed.Between(0, 2).ToList()).Message);
        Assert.NotEqual(store.RunId, EncryptedRunStore.StartFresh(folder).RunId);
    }

    [Fact]
    public void AMemberRefusesAShareFromAnUnpinnedHolderOrWithAnotherKey()
    {
        using var temp = new TempDirectory();
        var (setup, strategy) = Setup();
        using var holder = KeyExchangeIdentity.Create();
        using var key = HeSecretKey.Generate(setup.Parameters);
        var join = JoinAs(setup, clientId: 1);
        using var pinned = new MemberEncryption(setup, strategy, Path.Combine(temp.Path, "pinned"), new KeyPins(new string('0', 64), null, false));
        pinned.Joined(join);
        byte[] share = SealedKeyShare.Seal(holder, pinned.Identity.PublicKey, "run", 1, key.Export());
        Assert.Contains("pinned", Assert.Throws<InvalidDataException>(() => pinned.AcceptShare(share, KeyCheckValue.Of(key))).Message);

        // The pin is compared in full: the holder's fingerprint cut short does not match it.
        using var prefix = new MemberEncryption(setup, strategy, Path.Combine(temp.Path, "prefix"), new KeyPins(holder.Fingerprint[..16], null, false));
        prefix.Joined(join);
        share = SealedKeyShare.Seal(holder, prefix.Identity.PublicKey, "run", 1, key.Export());
        Assert.Contains("pinned", Assert.Throws<InvalidDataException>(() => prefix.AcceptShare(share, KeyCheckValue.Of(key))).Message);

        using var member = new MemberEncryption(setup, strategy, Path.Combine(temp.Path, "member"), new KeyPins(holder.Fingerprint.ToUpperInvariant(), null, false));
        member.Joined(join);
        share = SealedKeyShare.Seal(holder, member.Identity.PublicKey, "run", 1, key.Export());
        using var otherKey = HeSecretKey.Generate(setup.Parameters);
        Assert.Contains("key check", Assert.Throws<InvalidDataException>(() => member.AcceptShare(share, KeyCheckValue.Of(otherKey))).Message);
        Assert.False(member.HasKey);
        Assert.Equal(holder.Fingerprint, member.AcceptShare(share, KeyCheckValue.Of(key)));
        Assert.Equal(KeyCheckValue.Of(key), member.KeyCheck);
    }

    [Fact]
    public void AKeyHolderSealsOnlyToMemberKeysPinnedForThemAndWithoutPinsRefusesToHoldTheKey()
    {
        using var temp = new TempDirectory();
        var (setup, strategy) = Setup();
        using var beta = KeyExchangeIdentity.Create();
        using var intruder = KeyExchangeIdentity.Create();
        string pinFile = Path.Combine(temp.Path, "pins.txt");
        File.WriteAllText(pinFile, $"# members' keys, read out by phone\nbeta {beta.Fingerprint.ToUpperInvariant()}\n2 {beta.Fingerprint}  # gamma's line, wrongly beta's key\n");
        var holderJoin = JoinAs(setup, clientId: 0);

        // Secure by default: a key holder with neither pins nor the explicit opt-in makes no key and says why.
        using (var unpinned = new MemberEncryption(setup, strategy, Path.Combine(temp.Path, "unpinned")))
        {
            Assert.Contains("client.member_fingerprints_file", Assert.Throws<InvalidOperationException>(() => unpinned.Joined(holderJoin)).Message);
            Assert.False(File.Exists(Path.Combine(temp.Path, "unpinned", MemberEncryption.SecretKeyFileName)));
        }

        using var holder = new MemberEncryption(setup, strategy, Path.Combine(temp.Path, "holder"), new KeyPins(null, MemberFingerprints.Read(pinFile), false));
        holder.Joined(holderJoin);
        Assert.True(holder.MaySealFor(1, "beta", beta.PublicKey));
        Assert.False(holder.MaySealFor(1, "beta", intruder.PublicKey));
        Assert.False(holder.MaySealFor(3, "delta", beta.PublicKey)); // pinned for another member only
        Assert.True(holder.MaySealFor(2, "gamma", beta.PublicKey)); // pinned by id
        Assert.Throws<InvalidOperationException>(() => holder.SealFor(1, "beta", intruder.PublicKey));
        var (secret, _) = SealedKeyShare.Open(beta, holder.SealFor(1, "beta", beta.PublicKey), "run", 1);
        Assert.NotEmpty(secret);

        using var trusting = new MemberEncryption(setup, strategy, Path.Combine(temp.Path, "trusting"), new KeyPins(null, null, TrustServerRelayedKeys: true));
        trusting.Joined(holderJoin);
        Assert.True(trusting.MaySealFor(1, "beta", intruder.PublicKey));
    }

    private static (EncryptionSetup Setup, Func<int, FedLlm.Federation.Strategies.ServerStrategy> Strategy) Setup()
    {
        var layout = new FedLlm.Models.Lora.ParameterLayout([("a", [2L, 4L])]);
        var config = new FedLlm.Federation.Configuration.RunConfig { Seed = 1, Encryption = new FedLlm.Federation.Configuration.EncryptionSection { Enabled = true, MaxClients = 4 } };
        return (config.Encryption.CreateSetup(layout, config), size => FedLlm.Federation.Strategies.StrategyRegistry.Create(config.StrategyOptions(size)));
    }

    private static FedLlm.Transport.Protocol.JoinReply JoinAs(EncryptionSetup setup, int clientId) => new()
    {
        ClientId = clientId, RunName = "run", FederationSize = 3,
        Encryption = new FedLlm.Transport.Protocol.EncryptionInfo { Digest = setup.Digest, KeyHolderId = 0, KeyHolderName = "alpha", RunId = "r1" },
    };
}
