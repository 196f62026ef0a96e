//! Elastic channels: members are spread over sub-channels. A new member joins the least-filled
//! sub-channel below the target; when all are at the target a new one opens, up to
//! MaximumSubChannels (beyond that the least-filled one grows past the target). A sub-channel that
//! falls below the minimum (ceil(percentage × target)) is merged into the others.

use crate::error::ApiError;
use crate::state::{Channel, Elastic};

/// The sub-channel a new member goes to, opening one when needed. Costs the number of
/// sub-channels (their sizes are kept), whatever the number of members.
pub fn place(channel: &mut Channel, elastic: Elastic) -> String {
    let counts = channel.sub_channel_counts();
    let target = elastic.target_per_sub_channel as usize;
    let open_count = counts.len();
    let least = counts.iter().min_by_key(|(_, count)| *count).cloned();
    match least {
        Some((id, count)) if count < target => id,
        _ if (open_count as i64) < elastic.maximum_sub_channels => open(channel),
        Some((id, _)) => id,
        None => open(channel),
    }
}

fn open(channel: &mut Channel) -> String {
    let id = channel.next_sub_channel.to_string();
    channel.next_sub_channel += 1;
    channel.open_sub_channel(&id);
    id
}

/// Checks an explicit SubChannelId for a new member.
pub fn check_explicit(channel: &Channel, id: &str) -> Result<(), ApiError> {
    if channel.has_sub_channel(id) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("sub-channel {id} not found")))
    }
}

/// After members left `id`: when it is below the minimum and another sub-channel exists, its members
/// move to the least-filled others and it closes. Returns whether it merged.
pub fn merge_if_small(channel: &mut Channel, elastic: Elastic, id: &str) -> bool {
    let counts = channel.sub_channel_counts();
    let Some(&(_, count)) = counts.iter().find(|(s, _)| s == id) else {
        return false;
    };
    if counts.len() < 2 || count >= elastic.minimum_members() {
        return false;
    }
    // The movers are found by a scan of the members: merges are rare, placing is not.
    let movers: Vec<String> = channel
        .members()
        .iter()
        .filter(|(_, m)| m.sub_channel.as_deref() == Some(id))
        .map(|(arn, _)| arn.clone())
        .collect();
    for arn in movers {
        let to = channel
            .sub_channel_counts()
            .iter()
            .filter(|(s, _)| s != id)
            .min_by_key(|(_, count)| *count)
            .map(|(s, _)| s.clone());
        if let Some(to) = to {
            channel.move_member(&arn, &to);
        }
    }
    channel.close_sub_channel(id);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Membership, Millis};

    fn channel() -> Channel {
        Channel::new("c", "c", "u", Millis(0))
    }

    fn join(channel: &mut Channel, elastic: Elastic, who: &str) -> String {
        let sub = place(channel, elastic);
        let membership = Membership::new("DEFAULT", "u", Some(sub.clone()), Millis(0));
        channel.insert_member(who, membership);
        sub
    }

    #[test]
    fn fills_to_the_target_opens_up_to_the_maximum_then_balances() {
        let elastic = Elastic {
            maximum_sub_channels: 3,
            target_per_sub_channel: 2,
            minimum_percentage: 50,
        };
        let mut c = channel();
        let subs: Vec<String> = (0..8)
            .map(|i| join(&mut c, elastic, &format!("m{i}")))
            .collect();
        assert_eq!(subs, ["1", "1", "2", "2", "3", "3", "1", "2"]);
        let counts: Vec<usize> = c.sub_channel_counts().iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [3, 3, 2]);
    }

    #[test]
    fn a_sub_channel_below_the_minimum_merges_into_the_others() {
        let elastic = Elastic {
            maximum_sub_channels: 3,
            target_per_sub_channel: 4,
            minimum_percentage: 40,
        };
        let mut c = channel();
        for i in 0..6 {
            join(&mut c, elastic, &format!("m{i}"));
        }
        // m0..m3 in 1, m4 and m5 in 2; minimum = ceil(0.4 × 4) = 2.
        assert!(!merge_if_small(&mut c, elastic, "2"));
        c.remove_member("m5");
        assert!(merge_if_small(&mut c, elastic, "2"));
        assert_eq!(c.sub_channel_counts(), [("1".to_owned(), 5)]);
        assert_eq!(c.members()["m4"].sub_channel.as_deref(), Some("1"));
        // The last sub-channel never merges away.
        for i in 1..6 {
            c.remove_member(&format!("m{i}"));
        }
        assert_eq!(c.sub_channel_counts(), [("1".to_owned(), 1)]);
        assert!(!merge_if_small(&mut c, elastic, "1"));
    }
}
