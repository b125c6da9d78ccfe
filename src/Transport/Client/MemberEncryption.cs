using System.Globalization;
using FedLlm.Encryption.Keys;
using System.Security.Cryptography;
using FedLlm.Federation.Encryption;
using FedLlm.Federation.Strategies;
using FedLlm.Encryption.Homomorphic;
using FedLlm.Transport.Protocol;
using FedLlm.Transport.Server;
using FedLlm.Transport.Wire;

namespace FedLlm.Transport.Client;

/// <summary>
/// One member's side of an encrypted run, apart from the network calls: its key-exchange identity, its copy of the
/// shared HE key (generated if it is the key holder, otherwise opened from a sealed share), its own plaintext global and
/// the server step's state (kept current by decrypting the server's encrypted aggregates and running the strategy's step,
/// <see cref="MemberGlobal"/>) and the encryption of its updates. Everything secret stays in this process and in
/// <c>state_directory</c>.
/// </summary>
public sealed class MemberEncryption : IDisposable
{
    public const string IdentityFile = "key-exchange.pem";
    public const string SecretKeyFileName = "he-secret.key";
    public const string GlobalFileName = "encrypted-global.bin";

    private readonly EncryptionSetup _setup;
    private readonly Func<int, ServerStrategy> _strategyFor;
    private readonly string _stateDirectory;
    private readonly KeyPins _pins;
    private JoinReply? _join;
    private ClientKeyStore? _keys;
    private EncryptedUpdateClient? _client;
    private MemberGlobal? _members;
    private ServerStrategy? _strategy;
    private (int RoundsApplied, float[] Global, byte[] StrategyState)? _saved;

    /// <param name="pins">
    /// Keys compared out of band (null: none): the key holder's, so a share sealed by any other key (e.g. one
    /// substituted by a server that is not merely curious) is refused; and, on the key holder, the members', so the key
    /// is sealed to no key the server made up.
    /// </param>
    /// <param name="strategyFor">Builds the run's strategy for a federation of the given size (the members' copy of the server step).</param>
    public MemberEncryption(EncryptionSetup setup, Func<int, ServerStrategy> strategyFor, string stateDirectory, KeyPins? pins = null)
    {
        ArgumentNullException.ThrowIfNull(setup);
        _setup = setup;
        _strategyFor = strategyFor ?? throw new ArgumentNullException(nameof(strategyFor));
        _pins = pins ?? KeyPins.None;
        _stateDirectory = Directory.CreateDirectory(stateDirectory).FullName;
        Identity = LoadIdentity(_stateDirectory);
    }

    public KeyExchangeIdentity Identity { get; }

    /// <summary>The member's key-exchange key pair from its state folder, made on first use (<c>--print-fingerprint</c> reads it the same way).</summary>
    public static KeyExchangeIdentity LoadIdentity(string stateDirectory) =>
        KeyExchangeIdentity.LoadOrCreate(Path.Combine(Directory.CreateDirectory(stateDirectory).FullName, IdentityFile));

    /// <summary>The key holder's pins on members' keys; null when it seals to relayed keys on trust (or is no key holder).</summary>
    public MemberFingerprints? MemberPins => _pins.Members;

    public string Digest => _setup.Digest;

    public bool IsKeyHolder => _join is { } join && join.ClientId == join.Encryption.KeyHolderId;

    public bool HasKey => _keys is not null;

    /// <summary>Rounds the member's global includes; null before it has one.</summary>
    public int? RoundsApplied { get; private set; }

    public float[] Global => _members?.Global ?? _saved?.Global ?? [];

    /// <summary>The check value of the key this member holds (empty before it has one).</summary>
    public byte[] KeyCheck { get; private set; } = [];

    /// <summary>The run attempt (name, server-drawn id) and settings digest every file in the state folder is tagged with.</summary>
    private string RunTag => $"{_join!.RunName}|{_join.Encryption.RunId}|{Digest}";

    /// <summary>
    /// After each join: checks the server's settings, restores the key and global this member saved earlier (checking the
    /// key against the run's key check value), and lets a key holder without a key make one, but only before it has
    /// announced one: afterwards members already hold, and encrypt under, the original key.
    /// </summary>
    public void Joined(JoinReply join)
    {
        ArgumentNullException.ThrowIfNull(join);
        if (join.Encryption is null)
            throw new InvalidOperationException("this client has encryption enabled but the server's run is not encrypted; use the server's encryption settings");
        if (join.Encryption.Digest != Digest)
            throw new InvalidOperationException($"encryption settings differ from the server's (digest {Digest} vs {join.Encryption.Digest})");
        if (_join is not null) return;
        _join = join;
        // Secure by default: without pins the key holder would seal the key to any key the server says is a member's.
        if (IsKeyHolder && _pins.Members is null && !_pins.TrustServerRelayedKeys)
        {
            throw new InvalidOperationException("this member is the run's key holder but has no client.member_fingerprints_file to check members' keys against, " +
                "so a server could substitute its own key and read every update: collect each member's `fedllm client --print-fingerprint` into that file " +
                "(or set client.trust_server_relayed_keys: true to trust the server's relay)");
        }
        _strategy = _strategyFor(join.FederationSize);
        if (ClientGlobalFile.Read(PathOf(GlobalFileName), RunTag, _setup.Pruning.ParameterCount) is var (rounds, global, state))
        {
            RoundsApplied = rounds;
            _saved = (rounds, global, state);
        }
        if (SecretKeyFile.Read(PathOf(SecretKeyFileName), RunTag, _setup.Parameters) is { } saved)
        {
            UseKey(saved);
            if (!join.Encryption.KeyCheck.IsEmpty && !join.Encryption.KeyCheck.Span.SequenceEqual(KeyCheck))
                throw new InvalidDataException($"{PathOf(SecretKeyFileName)} holds a different key than the run's (key check differs): restore the right state_directory");
        }
        if (HasKey || !IsKeyHolder) return;
        if (!join.Encryption.KeyCheck.IsEmpty)
        {
            throw new InvalidOperationException($"this member is the key holder but has no key in {PathOf(SecretKeyFileName)}, and it already shared one in this run: " +
                "restore its state_directory (a new key would not decrypt what the members encrypt)");
        }
        var key = HeSecretKey.Generate(_setup.Parameters);
        SecretKeyFile.Write(PathOf(SecretKeyFileName), RunTag, key);
        UseKey(key);
    }

    /// <summary>Key holder: whether a relayed member key may receive the shared key (it is pinned for that member, or the operator trusts the relay).</summary>
    public bool MaySealFor(int recipientId, string recipientName, ReadOnlySpan<byte> recipientPublicKey) =>
        _pins.Members is { } pins ? pins.Pins(recipientId, recipientName, KeyFingerprint.Of(recipientPublicKey)) : _pins.TrustServerRelayedKeys;

    /// <summary>Key holder: the shared key sealed to a waiting member's public key, which must pass <see cref="MaySealFor"/>.</summary>
    public byte[] SealFor(int recipientId, string recipientName, ReadOnlySpan<byte> recipientPublicKey)
    {
        if (!IsKeyHolder || _keys is null) throw new InvalidOperationException("only the key holder, once it has the key, seals shares");
        if (!MaySealFor(recipientId, recipientName, recipientPublicKey))
            throw new InvalidOperationException($"the key-exchange key relayed for {recipientName} is not pinned; the key is not sealed to it");
        byte[] exported = _keys.KeyOf(_join!.ClientId).Export();
        try
        {
            return SealedKeyShare.Seal(Identity, recipientPublicKey, _join.RunName, recipientId, exported);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(exported);
        }
    }

    /// <summary>
    /// Opens the share the key holder sealed to this member, checks the key against the run's key check value (and the
    /// holder against the pinned fingerprint, if any) and keeps it; returns the holder's key-exchange fingerprint.
    /// </summary>
    /// <exception cref="InvalidDataException">The share does not open, comes from an unpinned holder, or holds another key.</exception>
    public string AcceptShare(ReadOnlySpan<byte> sealedShare, ReadOnlySpan<byte> runKeyCheck)
    {
        var join = _join ?? throw new InvalidOperationException("a key share arrived before the member joined");
        var (secret, holderFingerprint) = SealedKeyShare.Open(Identity, sealedShare, join.RunName, join.ClientId);
        try
        {
            if (_pins.KeyHolder is { } pinned && !KeyFingerprint.Same(pinned, holderFingerprint))
                throw new InvalidDataException($"the key share was sealed by key-exchange key {holderFingerprint}, not the pinned key holder {pinned}");
            var key = HeSecretKey.Import(secret, _setup.Parameters);
            if (runKeyCheck.IsEmpty || !KeyCheckValue.Of(key).AsSpan().SequenceEqual(runKeyCheck))
            {
                key.Dispose();
                throw new InvalidDataException("the received key does not match the key check value the key holder announced for this run");
            }
            SecretKeyFile.Write(PathOf(SecretKeyFileName), RunTag, key);
            UseKey(key);
            return holderFingerprint;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Applies a catch-up from the server: the public initial adapter if sent, then each encrypted aggregate in round order.</summary>
    /// <exception cref="InvalidDataException">The catch-up does not fit this member's global or an aggregate does not decrypt.</exception>
    public void CatchUp(CatchUpHeader header, ReceivedVectors vectors)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(vectors);
        if (_client is null) throw new InvalidOperationException("aggregates arrived before this member had the encryption key");
        int rounds = RoundsApplied ?? 0;
        if (vectors.Values.Remove(ProtocolConstants.InitialVector, out float[]? initial))
        {
            if (initial.Length != _setup.Pruning.ParameterCount)
                throw new InvalidDataException($"the initial adapter has {initial.Length} values; this member's adapter has {_setup.Pruning.ParameterCount}");
            // A fresh start: the initial adapter and a fresh server step (no momentum yet).
            _strategy = _strategyFor(_join!.FederationSize);
            _members = new MemberGlobal(_client, _strategy, initial);
            rounds = 0;
        }
        else if (RoundsApplied is null)
        {
            throw new InvalidDataException("the server sent aggregates without the initial adapter this member lacks");
        }
        if (vectors.Values.Count != 0) throw new InvalidDataException($"unexpected plaintext vector(s) in a catch-up: {string.Join(", ", vectors.Values.Keys)}");
        if (initial is null && vectors.Opaque.Count == 0 && header.RoundsApplied == RoundsApplied) return; // nothing new
        if (_members is null) throw new InvalidDataException("this member has no global to apply aggregates to");
        foreach (var (round, aggregate) in vectors.Opaque.Select(v => (Round: RoundOf(v.Key), v.Value)).OrderBy(v => v.Round))
        {
            if (round < rounds || round >= header.RoundsApplied)
                throw new InvalidDataException($"aggregate of round {round + 1} does not belong between rounds {rounds + 1} and {header.RoundsApplied}");
            _members!.Apply(_join!.ClientId, round, aggregate);
        }
        RoundsApplied = header.RoundsApplied;
        ClientGlobalFile.Write(PathOf(GlobalFileName), RunTag, header.RoundsApplied, _members!.Global, _members.StrategyState());
    }

    /// <summary>The member's update Δ = trained − start, pruned and encrypted under the shared key.</summary>
    public byte[] EncryptUpdate(int round, float[] start, float[] trained) =>
        (_client ?? throw new InvalidOperationException("no encryption key yet")).EncryptUpdate(_join!.ClientId, round, start, trained);

    public void Dispose()
    {
        _keys?.Dispose();
        Identity.Dispose();
    }

    private void UseKey(HeSecretKey key)
    {
        _keys?.Dispose();
        _keys = ClientKeyStore.Holding(_join!.Encryption.KeyHolderId, _join.ClientId, key);
        KeyCheck = KeyCheckValue.Of(key);
        _client = new EncryptedUpdateClient(_setup.Parameters, _keys, _setup.Pruning);
        if (_saved is var (_, global, state))
        {
            // The member's own global and step state, restored from its last save (same rounds applied).
            _members = new MemberGlobal(_client, _strategy!, global);
            _members.Restore(global, state);
        }
    }

    private static int RoundOf(string name) =>
        name.StartsWith(ProtocolConstants.AggregatePrefix, StringComparison.Ordinal)
        && int.TryParse(name.AsSpan(ProtocolConstants.AggregatePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int round)
            ? round
            : throw new InvalidDataException($"unexpected opaque vector '{name}' in a catch-up");

    private string PathOf(string file) => Path.Combine(_stateDirectory, file);
}
