//! The task sizes Fargate accepts: each cpu value allows a fixed set of memory values.

/// (cpu units, memory values in MiB) as AWS documents them for Linux tasks.
fn memory_for(cpu: u32) -> Option<Vec<u32>> {
    let range = |from: u32, to: u32, step: u32| (from..=to).step_by(step as usize).collect();
    Some(match cpu {
        256 => vec![512, 1024, 2048],
        512 => range(1024, 4096, 1024),
        1024 => range(2048, 8192, 1024),
        2048 => range(4096, 16384, 1024),
        4096 => range(8192, 30720, 1024),
        8192 => range(16384, 61440, 4096),
        16384 => range(32768, 122880, 8192),
        _ => return None,
    })
}

pub const CPU_VALUES: [u32; 7] = [256, 512, 1024, 2048, 4096, 8192, 16384];

/// Every valid (cpu, memory) pair, smallest first: what the wizard offers.
pub fn valid_pairs() -> Vec<(u32, u32)> {
    CPU_VALUES
        .iter()
        .flat_map(|cpu| {
            memory_for(*cpu)
                .unwrap_or_default()
                .into_iter()
                .map(move |m| (*cpu, m))
        })
        .collect()
}

/// `Ok` for a pair Fargate runs; otherwise a sentence that lists what would work.
pub fn check_size(cpu: u32, memory: u32) -> Result<(), String> {
    let Some(memory_values) = memory_for(cpu) else {
        let cpus: Vec<String> = CPU_VALUES.iter().map(u32::to_string).collect();
        return Err(format!(
            "{cpu} is not a Fargate cpu value; use one of {} (1024 = 1 vCPU)",
            cpus.join(", ")
        ));
    };
    if memory_values.contains(&memory) {
        return Ok(());
    }
    let list = if memory_values.len() > 8 {
        let step = memory_values[1] - memory_values[0];
        format!(
            "{} to {} in steps of {step}",
            memory_values[0],
            memory_values[memory_values.len() - 1]
        )
    } else {
        memory_values
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(format!(
        "memory {memory} does not fit cpu {cpu} on Fargate; with cpu {cpu} the valid memory values (MiB) are {list}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_pairs_pass_and_others_list_the_alternatives() {
        assert!(check_size(256, 512).is_ok());
        assert!(check_size(512, 4096).is_ok());
        assert!(check_size(16384, 122880).is_ok());
        let err = check_size(512, 512).err().unwrap_or_default();
        assert!(
            err.contains("valid memory values (MiB) are 1024, 2048, 3072, 4096"),
            "{err}"
        );
        let err = check_size(4096, 1000).err().unwrap_or_default();
        assert!(err.contains("8192 to 30720 in steps of 1024"), "{err}");
        let err = check_size(300, 1024).err().unwrap_or_default();
        assert!(err.contains("256, 512, 1024"), "{err}");
        assert_eq!(valid_pairs().first(), Some(&(256, 512)));
        assert!(valid_pairs().contains(&(2048, 16384)));
    }
}
